import type { EntityKey } from '../core/scoring.ts'
import type { EntityItem } from '../core/stream/batch.ts'
import type { EntityStore } from './ports.ts'

const maxConflictRetries = 5

/** A conditional entity write: the item to store and the version it must still find. */
export interface EntityAttempt {
  expectedVersion: number | undefined
  item: EntityItem
}

/**
 * Writes `first` to the entity `key`, conditional on its version; on a conflict (the scorer or the
 * label applier wrote it meanwhile) re-reads the item and writes what `refold` makes of it, up to
 * 5 times. `refold` returns undefined when nothing is left to write (the other writer counted it).
 */
export async function commitEntity(
  key: EntityKey,
  first: EntityAttempt | undefined,
  store: EntityStore,
  refold: (fresh: EntityItem | undefined) => EntityAttempt | undefined,
  counts: { entityWrites: number; conflicts: number },
): Promise<void> {
  let attempt = first
  for (let tries = 0; attempt !== undefined; tries++) {
    if ((await store.write(key, attempt.item, attempt.expectedVersion)) === 'written') {
      counts.entityWrites++
      return
    }
    if (tries === maxConflictRetries) throw new Error(`entity ${key} kept changing under ${tries} attempts`)
    counts.conflicts++
    attempt = refold((await store.read([key])).get(key))
  }
}

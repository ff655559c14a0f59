/**
 * What happens to each labels-stream batch in the labels scenario, as fast-check draws it: the
 * event source mapping's deliveries and the faults around them. A schedule is a list of steps per
 * shard, drawn from the run's seed, so a run is reproducible and a failing schedule can shrink.
 */
import fc from 'fast-check'

/** Where the scorer's own batches go relative to an applier invocation, on the same entities. */
export type ScorerTiming = 'none' | 'between' | 'concurrent'

export type LabelStep = { readonly scorer: ScorerTiming } & (
  /** The batch, once. */
  | { readonly kind: 'deliver' }
  /** The batch applied, the response lost (a timeout after the commit): the whole batch again. */
  | { readonly kind: 'redeliver' }
  /** Two invocations of the batch at once (a retry while the timed-out one still runs). */
  | { readonly kind: 'twice-at-once' }
  /** An already-applied batch from `back` records before the checkpoint, delivered again. */
  | { readonly kind: 'replay'; readonly back: number }
  /** The container dies after `after` writes go out; `landed`: the next one reaches DynamoDB first. The mapping then bisects. */
  | { readonly kind: 'crash'; readonly after: number; readonly landed: boolean }
  /** DynamoDB refuses the `nth` write of the invocation with ProvisionedThroughputExceededException (the SDK's retries spent): a partial batch response. */
  | { readonly kind: 'throttle'; readonly nth: number }
  /** Crash right after one write lands, again and again until the batch completes: every write position of the batch in turn. */
  | { readonly kind: 'ladder' }
)

const scorer = fc.constantFrom<ScorerTiming>('none', 'none', 'between', 'concurrent', 'concurrent')

export const labelStep: fc.Arbitrary<LabelStep> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('deliver' as const), scorer }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), scorer }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('twice-at-once' as const), scorer }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), back: fc.integer({ min: 1, max: 250 }), scorer }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('throttle' as const), nth: fc.integer({ min: 1, max: 120 }), scorer }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('crash' as const), after: fc.integer({ min: 0, max: 120 }), landed: fc.boolean(), scorer }) },
)

/** One shard's steps: a crash ladder on its first batch, then `length` drawn steps (deliveries follow until the shard is done). */
export const shardSchedule = (length: number): fc.Arbitrary<LabelStep[]> =>
  fc.array(labelStep, { minLength: length, maxLength: length }).map((steps) => [{ kind: 'ladder', scorer: 'between' } as const, ...steps])

export const labelSchedule = (shards: number, length: number): fc.Arbitrary<LabelStep[][]> =>
  fc.array(shardSchedule(length), { minLength: shards, maxLength: shards })

/** The schedule the seed draws: what the fault table's run plays. */
export function drawSchedule(seed: number, shards: number, length: number): LabelStep[][] {
  return fc.sample(labelSchedule(shards, length), { seed, numRuns: 1 })[0]!
}

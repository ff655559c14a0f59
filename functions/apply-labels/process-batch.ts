import type { EntityItem, StoredDecision } from '../core/stream/batch.ts'
import { decideLabels, foldLabels, labelEntityWrites, ruleLabelChange, type LabelFate, type LabelItem, type LabelSubject, type StreamLabel } from '../core/labels/apply-batch.ts'
import { labelSchema } from '../core/labels/label.ts'
import type { LabelOutcome } from '../core/labels/resolve.ts'
import { fromZodError } from '../core/issues.ts'
import type { Issue } from '../core/result.ts'
import type { EntityStore, QuarantineStore, RuleSetSource } from '../score/ports.ts'
import { quarantineEntry, type StreamRecord } from '../score/process-batch.ts'
import { commitEntity } from '../score/commit-entity.ts'
import { settleAll } from '../score/settle-all.ts'

export interface LabelItemStore {
  read(transactionIds: readonly string[]): Promise<Map<string, LabelItem>>
  write(transactionId: string, item: LabelItem, expectedVersion: number, now: string): Promise<'written' | 'conflict'>
}

/** What the applier needs: the label items, the decisions (read only), the entities, the active rule set's plan. */
export interface LabelApplierDeps {
  labels: LabelItemStore
  decisions: { read(transactionIds: readonly string[]): Promise<Map<string, StoredDecision>> }
  entities: EntityStore
  rules: RuleSetSource
  quarantine: QuarantineStore
  /** Per rule, what the labels of its hits say (GET /rules/stats). */
  ruleStats: { addLabel(version: number, ruleIds: readonly string[], change: Readonly<Record<string, number>>): Promise<void> }
  now: () => Date
}

export interface LabelBatchOutcome {
  outcomes: Record<LabelOutcome | 'pending', number>
  quarantined: number
  entityWrites: number
  conflicts: number
  /** Index (in the batch) of the first record not fully applied; undefined when all were. */
  firstUnfinished: number | undefined
  errors: unknown[]
}

const writeConcurrency = 32

/**
 * Applies one batch of one labels-stream shard exactly once (core/labels/apply-batch.ts): parse,
 * read, decide in stream order, write label items, then entity fraud counts. Any failure stops
 * the commit at the first record it touched, so a retry from it resumes exactly there.
 */
export async function applyLabelBatch(records: readonly StreamRecord[], deps: LabelApplierDeps): Promise<LabelBatchOutcome> {
  const now = deps.now()
  const outcome: LabelBatchOutcome = { outcomes: { accepted: 0, duplicate: 0, superseded: 0, pending: 0 }, quarantined: 0, entityWrites: 0, conflicts: 0, firstUnfinished: undefined, errors: [] }
  const fail = (index: number, error: unknown) => {
    outcome.errors.push(error)
    if (outcome.firstUnfinished === undefined || index < outcome.firstUnfinished) outcome.firstUnfinished = index
  }

  const valid: StreamLabel[] = []
  const rawIndex: number[] = []
  const invalid: { index: number; issues: Issue[] }[] = []
  records.forEach((record, index) => {
    if (record.defect) return invalid.push({ index, issues: [{ path: '', message: record.defect.message }] })
    const json = safeJson(record.data)
    if (json === undefined) return invalid.push({ index, issues: [{ path: '', message: 'is not valid JSON' }] })
    const parsed = labelSchema.safeParse(json)
    if (!parsed.success) return invalid.push({ index, issues: fromZodError(parsed.error) })
    valid.push({ position: record.position, label: parsed.data })
    rawIndex.push(index)
  })

  const ids = [...new Set(valid.map(({ label }) => label.transactionId))]
  const [ruleSet, stored, decisions] = await Promise.all([deps.rules.current(), deps.labels.read(ids), deps.decisions.read(ids)])
  const subjects = new Map<string, LabelSubject>()
  for (const [id, decision] of decisions) if (decision.subject) subjects.set(id, decision.subject)
  // A decision stored before decisions kept their subject still counts as scored: its label is recorded, it moves no feature.
  const batch = decideLabels(valid, stored, new Set(decisions.keys()))

  // Phase 1: quarantine what is not a label, and the label items.
  await settleAll(
    [
      ...invalid.map(({ index, issues }) => async () => {
        await deps.quarantine.put(quarantineEntry(records[index]!, { code: 'invalid_label', issues }, now))
        outcome.quarantined++
      }),
      ...[...batch.items].map(([id, { item, expectedVersion }]) => async () => {
        if ((await deps.labels.write(id, item, expectedVersion, now.toISOString())) === 'conflict') {
          throw new Error(`the label item of ${id} changed concurrently`)
        }
      }),
    ],
    writeConcurrency,
    (error, task) => fail(task < invalid.length ? invalid[task]!.index : rawIndex[[...batch.items.values()][task - invalid.length]!.firstRecord]!, error),
  )

  // Phase 2: the entities' fraud counts of every record before the first failure.
  const committed = outcome.firstUnfinished === undefined ? valid.length : rawIndex.filter((i) => i < outcome.firstUnfinished!).length
  batch.fates.slice(0, committed).forEach((fate: LabelFate) => outcome.outcomes[fate.outcome]++)

  // The rules' label counts, for what this attempt recorded: at most once, like the scorer's hits
  // (a crash right here loses them; a retry finds its labels recorded and does not count again).
  await Promise.all(
    batch.fates.slice(0, committed).map(async (fate, i) => {
      const { label } = valid[i]!
      const change = ruleLabelChange(fate, label)
      const decision = decisions.get(label.transactionId)?.decision
      if (decision === undefined || Object.keys(change).length === 0) return
      const fired = decision.rules.filter((rule) => rule.status === 'fired').map((rule) => rule.id)
      try {
        await deps.ruleStats.addLabel(decision.ruleSetVersion, fired, change)
      } catch (error) {
        outcome.errors.push(error)
      }
    }),
  )
  const writes = labelEntityWrites(ruleSet.plan, valid, batch.fates, subjects, committed)
  if (writes.length > 0) {
    const read = await deps.entities.read(writes.map((write) => write.key))
    await settleAll(
      writes.map((write) => () => {
        const refold = (item: EntityItem | undefined) => foldLabels(ruleSet.plan, write.kind, item, write.effects, now.getTime())
        return commitEntity(write.key, refold(read.get(write.key)), deps.entities, refold, outcome)
      }),
      writeConcurrency,
      (error, task) => fail(rawIndex[writes[task]!.firstRecord]!, error),
    )
  }
  return outcome
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

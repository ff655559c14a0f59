import type { Decision } from '../core/decision.ts'
import { redactPans } from '../core/pan-text.ts'
import { recordShape } from '../core/record-shape.ts'
import { cardAliasKeys, withAliasHistory } from '../core/card-history.ts'
import { labelSubject } from '../core/labels/apply-batch.ts'
import { trackedEntities } from '../core/scoring.ts'
import { decideBatch, entityWrites, foldEntity, type BatchInput, type StreamTransaction } from '../core/stream/batch.ts'
import { samePosition, type Position } from '../core/stream/position.ts'
import { acceptEventTime, eventTimeBounds, rangeAround, type EventTimeError, type EventTimeSettings } from '../core/event-time.ts'
import { err, type Issue, type Result } from '../core/result.ts'
import type { Keyring } from '../core/keyring.ts'
import { eventTime, parseTransactionJson, type Transaction, type TransactionError } from '../core/transaction.ts'
import type { DecisionStore, EntityStore, EscalationPort, QuarantineEntry, QuarantineStore, RuleSetSource, RuleStatsPort } from './ports.ts'
import { commitEntity } from './commit-entity.ts'
import { settleAll } from './settle-all.ts'

/** A user record from the stream (KPL aggregates already split), its data decoded as UTF-8. */
export interface StreamRecord {
  position: Position
  partitionKey: string
  data: string
  /** When Kinesis received the record (its ApproximateArrivalTimestamp, epoch ms): the clock event times are checked against. */
  arrivedAt: number
  /** Why the bytes cannot be a transaction whatever they say (not UTF-8, a corrupt KPL aggregate). */
  defect?: RecordDefect
}

export interface RecordDefect {
  code: 'invalid_utf8' | 'invalid_aggregate'
  message: string
}

/** Why a record was quarantined: a closed vocabulary. */
export type QuarantineCode = TransactionError['code'] | RecordDefect['code'] | EventTimeError['code']

export interface ScorerDeps {
  rules: RuleSetSource
  decisions: DecisionStore
  entities: EntityStore
  quarantine: QuarantineStore
  escalation: EscalationPort
  ruleStats: RuleStatsPort
  /** The live PAN tokenization keys (functions/score/tokenization-key.ts). */
  keyring: Keyring
  /** How far from its arrival a record's event time may be (core/event-time.ts). */
  eventTime: EventTimeSettings
  /** The clock, read once per batch: the core never reads it. */
  now: () => Date
}

export interface BatchOutcome {
  /** Index of the first record not fully committed; undefined when the whole batch is done. */
  firstUnfinished: number | undefined
  decided: Decision[]
  duplicates: number
  /** Records an earlier attempt had already decided (consumer retries). */
  redelivered: number
  quarantined: number
  /** What was quarantined, as stored (no record text; PANs redacted): one warning log line each. */
  quarantinedEntries: QuarantineEntry[]
  /** The quarantined records by their error code (a fixed vocabulary, never free text). */
  quarantinedByReason: Map<QuarantineCode, number>
  /** Fired rules (active and shadow) of the decisions in `decided`, by rule id. */
  ruleHits: Map<string, number>
  /** Per decision in `decided`: the clock when its write returned minus the transaction's event time. */
  eventTimeToDecisionMs: number[]
  entityWrites: number
  /** Entity writes that lost a version race and were recomputed on a fresh read. */
  conflicts: number
  errors: unknown[]
}

/** An outcome before anything happened: the start of every batch's. */
export function emptyBatchOutcome(): BatchOutcome {
  return {
    firstUnfinished: undefined,
    decided: [],
    duplicates: 0,
    redelivered: 0,
    quarantined: 0,
    quarantinedEntries: [],
    quarantinedByReason: new Map(),
    ruleHits: new Map(),
    eventTimeToDecisionMs: [],
    entityWrites: 0,
    conflicts: 0,
    errors: [],
  }
}

const writeConcurrency = 32

/**
 * Scores one batch of one shard with exactly-once effects (see core/stream/batch.ts): parse,
 * read what is stored, decide in stream order, write decisions and quarantine entries, then the
 * entity aggregates, then hand reviews and blocks to escalation. Any failure stops the commit at
 * the first record it touched; everything before that record is complete, so a retry from it
 * resumes exactly there.
 */
export async function processBatch(records: readonly StreamRecord[], deps: ScorerDeps): Promise<BatchOutcome> {
  const now = deps.now()
  const ruleSet = await deps.rules.current()
  const valid: StreamTransaction[] = []
  const rawIndex: number[] = []
  const quarantine: Array<{ index: number; entry: QuarantineEntry; code: QuarantineCode }> = []
  const bounds = eventTimeBounds(ruleSet.plan, deps.eventTime)
  records.forEach((record, index) => {
    const wire = parseRecord(record, deps.keyring)
    const parsed = wire.ok ? acceptEventTime(wire.value, rangeAround(record.arrivedAt, bounds, "the record's arrival")) : wire
    if (parsed.ok) {
      valid.push({ position: record.position, txn: parsed.value })
      rawIndex.push(index)
    } else {
      quarantine.push({ index, entry: quarantineEntry(record, parsed.error, now), code: parsed.error.code })
    }
  })

  const entityKeys = [...new Set(valid.flatMap(({ txn }) => trackedEntities(ruleSet, txn).map((e) => e.key)))]
  // A card first seen under a new key starts from its state under the old one (core/card-history.ts).
  const aliasKeys = cardAliasKeys(ruleSet, valid.map(({ txn }) => txn))
  const [stored, read] = await Promise.all([
    deps.decisions.read([...new Set(valid.map(({ txn }) => txn.transactionId))]),
    deps.entities.read([...new Set([...entityKeys, ...aliasKeys.values()])]),
  ])
  const entities = withAliasHistory(read, aliasKeys)
  const input: BatchInput = { ruleSet, records: valid, decisions: stored, entities, decidedAt: now.toISOString() }
  const fates = decideBatch(input)

  const outcome: BatchOutcome = {
    ...emptyBatchOutcome(),
    duplicates: fates.filter((f) => f.kind === 'duplicate').length,
    redelivered: fates.filter((f) => f.kind === 'decided').length,
  }
  const fail = (index: number, error: unknown) => {
    outcome.errors.push(error)
    if (outcome.firstUnfinished === undefined || index < outcome.firstUnfinished) outcome.firstUnfinished = index
  }

  // Phase 1: decisions and quarantine entries. A decision found already stored by another
  // record is a duplicate this batch could not see when it read; its retry will classify it.
  await settleAll(
    [
      ...quarantine.map(({ entry, code }) => async () => {
        await deps.quarantine.put(entry)
        outcome.quarantined++
        outcome.quarantinedEntries.push(entry)
        outcome.quarantinedByReason.set(code, (outcome.quarantinedByReason.get(code) ?? 0) + 1)
      }),
      ...fates.map((fate, i) => async () => {
        if (fate.kind !== 'decide') return
        const written = await deps.decisions.write(fate.decision, valid[i]!.position, labelSubject(valid[i]!.txn))
        if (written === 'written' || samePosition(written.source, valid[i]!.position)) {
          outcome.decided.push(fate.decision)
          outcome.eventTimeToDecisionMs.push(deps.now().getTime() - eventTime(valid[i]!.txn))
        } else fail(rawIndex[i]!, new Error(`transaction ${fate.decision.transactionId} was decided concurrently from another record`))
      }),
    ],
    writeConcurrency,
    (error, task) => fail(task < quarantine.length ? quarantine[task]!.index : rawIndex[task - quarantine.length]!, error),
  )

  // Hits of the decisions this attempt wrote, once per rule per batch. Approximate by design: a
  // crash right here loses this batch's hits (its retry finds the decisions already made).
  const hits = outcome.ruleHits
  for (const decision of outcome.decided) for (const rule of decision.rules) if (rule.status === 'fired') hits.set(rule.id, (hits.get(rule.id) ?? 0) + 1)
  if (hits.size > 0) {
    try {
      await deps.ruleStats.addHits(ruleSet.version, hits)
    } catch (error) {
      outcome.errors.push(error)
    }
  }

  // Phase 2: the aggregates of every record decided before the first failure, one write per entity.
  const committed = outcome.firstUnfinished === undefined ? valid.length : countBefore(rawIndex, outcome.firstUnfinished)
  const writes = entityWrites(input, fates, committed)
  await settleAll(
    writes.map((write) => () => commitEntity(write.key, write, deps.entities, (fresh) => foldEntity(ruleSet, write.kind, fresh, write.records, write.markedAt), outcome)),
    writeConcurrency,
    (error, task) => fail(rawIndex[writes[task]!.firstRecord]!, error),
  )

  // Escalation of what is fully committed; the port is idempotent, so redeliveries call it again.
  const escalated = outcome.firstUnfinished === undefined ? valid.length : countBefore(rawIndex, outcome.firstUnfinished)
  const escalations = fates.slice(0, escalated).flatMap((fate, i) => (fate.kind !== 'duplicate' && fate.decision.outcome !== 'approve' ? [{ i, decision: fate.decision }] : []))
  await settleAll(
    escalations.map(({ i, decision }) => () => deps.escalation.escalate(decision, valid[i]!.txn)),
    writeConcurrency,
    (error, task) => fail(rawIndex[escalations[task]!.i]!, error),
  )
  return outcome
}

/** How many valid records come before raw record `index`. */
const countBefore = (rawIndex: readonly number[], index: number) => rawIndex.filter((i) => i < index).length

/** A record's transaction, or why it has none: its defect, else what the parser refused. */
export function parseRecord(record: StreamRecord, keyring: Keyring): Result<Transaction, { code: QuarantineCode; issues: Issue[] }> {
  if (record.defect) return err({ code: record.defect.code, issues: [{ path: '', message: record.defect.message }] })
  return parseTransactionJson(record.data, keyring)
}

/** Kinesis's own limit; a key from a KPL aggregate's table can be far longer, and the entry must fit one item. */
const maxPartitionKeyLength = 256

/**
 * A refused record as it is kept: where it came from, why, and its shape, never its text (any of
 * it can be a card number in some notation). The partition key is often the card itself: it is
 * kept through the PAN text policy, not hashed, since the PAN space is small enough to reverse an
 * unkeyed hash and a keyed one would be a second tokenization key to guard.
 */
export function quarantineEntry(record: StreamRecord, error: { code: string; issues: QuarantineEntry['issues'] }, now: Date): QuarantineEntry {
  return {
    position: record.position,
    partitionKey: redactPans(record.partitionKey, maxPartitionKeyLength),
    code: error.code,
    issues: error.issues,
    shape: recordShape(record.data),
    receivedAt: now.toISOString(),
  }
}

/**
 * The labels scenario's oracle, from the labels stream's contents (read straight from kinesalite)
 * and the tables (read straight from dynalite): every label record ends in exactly one place (its
 * transaction's label item logs what it did, or it is quarantined), each record did what
 * `resolveLabel` says it does in its transaction's stream order, each item's standing label is the
 * resolution of its transaction's labels, and every entity's state equals the in-memory scorer's
 * (`MemoryScorer` with labels: transactions and labels in the same order), so its fraud counts too.
 */
import { isDeepStrictEqual } from 'node:util'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { KinesisStreamRecord } from 'aws-lambda'
import { labelShard } from '../../functions/apply-labels/apply-event.ts'
import { fromItem as decisionFromItem } from '../../functions/aws/decision-store.ts'
import { userRecords } from '../../functions/aws/kinesis-records.ts'
import type { Decision } from '../../functions/core/decision.ts'
import { entityKinds, type EntityKind } from '../../functions/core/features/definition.ts'
import type { EntityState } from '../../functions/core/features/index.ts'
import type { FeaturePlan } from '../../functions/core/features/plan.ts'
import type { AppliedRecord } from '../../functions/core/labels/apply-batch.ts'
import type { Label } from '../../functions/core/labels/label.ts'
import { resolveLabel, type LabelOutcome } from '../../functions/core/labels/resolve.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { formatPosition } from '../../functions/core/stream/position.ts'
import type { TableKey } from '../../lib/table-schema.ts'
import { scanTable } from '../support/scan.ts'
import { compiled } from '../support/scenario.ts'
import type { LabelTraffic } from './label-feed.ts'

export interface LabelTally {
  /** A label record neither logged nor quarantined; a label left waiting for a scored transaction; fraud an entity is missing. */
  readonly lost: number
  /** A record logged twice, or logged and quarantined, or quarantined unasked; fraud an entity counts more than once. */
  readonly doubleCounted: number
  /** A record's logged outcome, an item's standing or waiting labels, an entity's state, a decision made before any label: not the truth's. */
  readonly mismatched: number
  /** What the label items' logs say the records did. */
  readonly outcomes: Readonly<Record<LabelOutcome | 'pending', number>>
  readonly quarantined: number
  /** Confirmed frauds over the entities' windows and flagged-before counters, stored and true. */
  readonly fraudUnits: { readonly stored: number; readonly truth: number }
}

export interface LabelObserved {
  readonly dynamo: DynamoDBClient
  readonly tables: Readonly<Record<Extract<TableKey, 'decisions' | 'entityState' | 'quarantine' | 'labels'>, string>>
  readonly traffic: LabelTraffic
  readonly rules: RuleSetInput
  /** Each labels shard's records from its start, and how many of them the first round (before the sweep) held. */
  readonly shards: readonly { readonly records: readonly KinesisStreamRecord[]; readonly firstRound: number }[]
  readonly decidedAt: string
}

interface StoredItem {
  standing: Label | undefined
  applied: AppliedRecord[]
  waiting: Label[]
}

export async function tallyLabels(observed: LabelObserved): Promise<LabelTally> {
  const { traffic } = observed
  const ruleSet = compiled(observed.rules)
  const valid = new Map(traffic.feed.map((r) => [r.data, r.valid]))
  const idOf = (line: string) => (JSON.parse(line) as { transactionId: string }).transactionId
  const phase = (lines: readonly string[]) => lines.map((line) => traffic.transactions.get(idOf(line))!)

  // The truth: A scored, the first round's labels in stream order (shard by shard: only a
  // transaction's own order matters, and its labels share a shard), then B and C (C's waiting labels
  // counted as each is scored). The sweep's records are those same waiting labels: not given again.
  const truth = new MemoryScorer(ruleSet, { labels: true })
  const decisionsBefore = new Map<string, Decision>()
  for (const txn of phase(traffic.phases.before)) decisionsBefore.set(txn.transactionId, truth.score(txn, observed.decidedAt))
  const scoredFirst = new Set(decisionsBefore.keys())
  const records = observed.shards.flatMap(({ records, firstRound }) =>
    userRecords({ Records: [...records] }).map((record, i) => ({ ...record, at: `${labelShard(record.position.shardId)}/${formatPosition(record.position)}`, firstRound: i < firstRound })),
  )
  for (const record of records) if (record.firstRound && valid.get(record.data)) truth.label(JSON.parse(record.data) as Label)
  for (const txn of [...phase(traffic.phases.during), ...phase(traffic.phases.after)]) truth.score(txn, observed.decidedAt)

  // What each record does, by its transaction's labels in stream order; the sweep's all find their transaction scored.
  const expected = new Map<string, { id: string; outcome: LabelOutcome | 'pending'; delta: number }>()
  const standing = new Map<string, Label>()
  const waiting = new Map<string, Label[]>()
  const invalid = new Set<string>()
  for (const record of [...records].sort((a, b) => Number(b.firstRound) - Number(a.firstRound))) {
    if (valid.get(record.data) !== true) {
      invalid.add(record.at)
      continue
    }
    const label = JSON.parse(record.data) as Label
    const id = label.transactionId
    if (record.firstRound && !scoredFirst.has(id)) {
      expected.set(record.at, { id, outcome: 'pending', delta: 0 })
      if (!traffic.transactions.has(id)) waiting.set(id, [...(waiting.get(id) ?? []).filter((w) => !sameLabel(w, label)), label])
      continue
    }
    const { outcome, delta, current } = resolveLabel(standing.get(id), label)
    standing.set(id, current)
    expected.set(record.at, { id, outcome, delta })
  }

  const items = new Map<string, StoredItem>()
  for (const item of await scanTable(observed.dynamo, observed.tables.labels)) {
    items.set(item.transactionId!.S!, {
      standing: item.standing?.S === undefined ? undefined : (JSON.parse(item.standing.S) as Label),
      applied: JSON.parse(item.applied?.S ?? '[]') as AppliedRecord[],
      waiting: JSON.parse(item.waiting?.S ?? '[]') as Label[],
    })
  }
  const quarantined = new Set((await scanTable(observed.dynamo, observed.tables.quarantine)).map((item) => item.id!.S!))

  let lost = 0
  let doubleCounted = 0
  let mismatched = 0
  const outcomes: Record<LabelOutcome | 'pending', number> = { accepted: 0, duplicate: 0, superseded: 0, pending: 0 }

  // Every record in exactly one place, having done what it should.
  for (const [at, want] of expected) {
    const logged = items.get(want.id)?.applied.filter((entry) => entry.at === at) ?? []
    if (logged.length === 0) lost++
    doubleCounted += Math.max(0, logged.length - 1) + (quarantined.has(at) ? 1 : 0)
    if (logged.length > 0 && (logged[0]!.outcome !== want.outcome || logged[0]!.delta !== want.delta)) mismatched++
  }
  for (const at of invalid) if (!quarantined.has(at)) lost++
  for (const at of quarantined) if (!invalid.has(at) && !expected.has(at)) doubleCounted++
  for (const [id, item] of items) {
    for (const entry of item.applied) {
      outcomes[entry.outcome]++
      if (expected.get(entry.at)?.id !== id) doubleCounted++
    }
    // The standing label is the resolution of the transaction's labels; nothing waits for a scored transaction.
    if (!isDeepStrictEqual(item.standing, standing.get(id))) mismatched++
    if (traffic.transactions.has(id)) lost += item.waiting.length
    else if (!isDeepStrictEqual(item.waiting, waiting.get(id) ?? [])) mismatched++
  }
  for (const id of standing.keys()) if (!items.has(id)) lost++

  // Entities: the truth's state, and so its fraud counts, each confirmed fraud counted once.
  const states = new Map<string, EntityState>()
  for (const item of await scanTable(observed.dynamo, observed.tables.entityState)) states.set(item.entityKey!.S!, JSON.parse(item.state!.S!) as EntityState)
  const truthStates = new Map<string, EntityState>()
  for (const kind of entityKinds) for (const [id, state] of truth.states[kind]) truthStates.set(`${kind}#${id}`, state)
  const fraudUnits = { stored: 0, truth: 0 }
  for (const key of new Set([...states.keys(), ...truthStates.keys()])) {
    const kind = key.slice(0, key.indexOf('#')) as EntityKind
    const stored = frauds(ruleSet.plan, kind, states.get(key))
    const want = frauds(ruleSet.plan, kind, truthStates.get(key))
    fraudUnits.stored += stored
    fraudUnits.truth += want
    lost += Math.max(0, want - stored)
    doubleCounted += Math.max(0, stored - want)
    if (!isDeepStrictEqual(states.get(key), truthStates.get(key))) mismatched++
  }

  // Decisions made before any label: the truth's; and every transaction decided.
  const decisions = new Map((await scanTable(observed.dynamo, observed.tables.decisions)).map((item) => [item.transactionId!.S!, decisionFromItem(item).decision]))
  for (const [id, want] of decisionsBefore) {
    const got = decisions.get(id)
    if (got !== undefined && !isDeepStrictEqual({ ...got, decidedAt: '' }, { ...want, decidedAt: '' })) mismatched++
  }
  for (const id of traffic.transactions.keys()) if (!decisions.has(id)) lost++

  return { lost, doubleCounted, mismatched, outcomes, quarantined: quarantined.size, fraudUnits }
}

const sameLabel = (a: Label, b: Label) => a.fraud === b.fraud && a.reportedAt === b.reportedAt && a.source === b.source

/** The confirmed frauds an entity's state holds: over every bucket of its label-fed windows, and its flagged-before counter. */
function frauds(plan: FeaturePlan, kind: EntityKind, state: EntityState | undefined): number {
  if (state === undefined) return 0
  let total = state.f ?? 0
  for (const series of plan.byEntity[kind].series) {
    if (series.fraudAt === undefined) continue
    const buckets = state.w?.[series.key] ?? []
    for (let base = 0; base < buckets.length; base += series.stride) total += buckets[base + series.fraudAt]!
  }
  return total
}

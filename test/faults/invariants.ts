/**
 * The fault suite's invariants, checked against the ground truth: every record ends exactly once as
 * a decision or a quarantine entry, aggregates equal the de-duplicated truth, no case is opened
 * twice, and each transaction's one decision (the table is keyed by its id, written only if
 * absent) is the truth under the rule-set version it names. Everything is read straight from the
 * emulators, not through the fault proxies.
 */
import { isDeepStrictEqual } from 'node:util'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { scanTable } from '../support/scan.ts'
import { fromItem } from '../../functions/aws/decision-store.ts'
import { caseId } from '../../functions/aws/escalation.ts'
import type { Decision } from '../../functions/core/decision.ts'
import { readFeatures, type EntityState } from '../../functions/core/features/index.ts'
import type { FeaturePlan } from '../../functions/core/features/plan.ts'
import { parseTransactionJson } from '../../functions/core/transaction.ts'
import { tableSchemas, type TableKey } from '../../lib/table-schema.ts'
import type { LocalStateMachine } from '../../local/state-machine.ts'
import { testKey } from '../support/transactions.ts'
import type { GroundTruth } from './ground-truth.ts'
import type { StreamContents } from './stream-contents.ts'
import type { Lane } from './traffic.ts'

export interface Tally {
  /** Records (or their effects) that ended nowhere: no decision, no quarantine entry, not counted, no case. */
  readonly lost: number
  /** Effects that happened more than once: a transaction counted twice, an extra quarantine entry or case. */
  readonly doubleCounted: number
  /** Results that exist once but differ from the truth: a decision, an entity's state, a case's decision. */
  readonly mismatched: number
  readonly decisions: number
  readonly quarantined: number
  /** Decisions by rule-set version. */
  readonly versions: Readonly<Record<number, number>>
  /** StartExecution calls that reached Step Functions, the executions they made, and the escalated decisions. */
  readonly cases: { readonly starts: number; readonly executions: number; readonly escalated: number }
}

export interface Observed {
  readonly dynamo: DynamoDBClient
  readonly tables: Readonly<Record<Extract<TableKey, 'decisions' | 'entityState' | 'quarantine'>, string>>
  readonly machine: LocalStateMachine
  readonly caseStarts: number
  /** The plan of the active features, to read a card's stored transaction count with. */
  readonly plan: FeaturePlan
}

/** The feature counting a card's transactions over a window longer than any run's event time. */
const cardCount = 'card_count_30d'

export async function tally(intended: readonly Lane[], stream: StreamContents, truth: GroundTruth, observed: Observed): Promise<Tally> {
  const decisions = new Map<string, Decision>()
  for (const item of await scanTable(observed.dynamo, observed.tables.decisions)) {
    const { decision } = fromItem(item)
    decisions.set(decision.transactionId, decision)
  }
  const states = new Map<string, EntityState>()
  for (const item of await scanTable(observed.dynamo, observed.tables.entityState)) states.set(item.entityKey!.S!, JSON.parse(item.state!.S!) as EntityState)
  const quarantined = new Set<string>()
  for (const item of await scanTable(observed.dynamo, observed.tables.quarantine)) quarantined.add(item[tableSchemas.quarantine.partitionKey.name]!.S!)

  let lost = 0
  let doubleCounted = 0
  let mismatched = 0

  // Every record meant for the stream is in it, and every valid one is decided.
  const inStream = new Set(stream.records.map((r) => r.data))
  for (const lane of intended) {
    for (const record of lane.records) {
      const data = record.toString('utf8')
      if (!inStream.has(data)) {
        lost++
        continue
      }
      const parsed = parseTransactionJson(data, testKey)
      if (parsed.ok && !decisions.has(parsed.value.transactionId)) lost++
    }
  }
  // Every invalid record is quarantined once, at its own position; nothing else is.
  for (const id of truth.quarantined) if (!quarantined.has(id)) lost++
  for (const id of quarantined) if (!truth.quarantined.has(id)) doubleCounted++

  // One decision per transaction, equal to the truth under the version it names.
  const versions: Record<number, number> = {}
  for (const [id, decision] of decisions) {
    versions[decision.ruleSetVersion] = (versions[decision.ruleSetVersion] ?? 0) + 1
    const expected = truth.decisions.get(decision.ruleSetVersion)?.get(id)
    if (expected === undefined) doubleCounted++
    else if (!isDeepStrictEqual({ ...decision, decidedAt: '' }, { ...expected, decidedAt: '' })) mismatched++
  }

  // Aggregates: each card counted exactly its transactions; every entity's state as the truth's.
  for (const [key, card] of truth.cards) {
    const state = states.get(key)
    const counted = state === undefined ? 0 : Number(readFeatures(observed.plan, { card: state }, card.last, state.t + 1)[cardCount] ?? 0)
    lost += Math.max(0, card.count - counted)
    doubleCounted += Math.max(0, counted - card.count)
  }
  for (const key of new Set([...states.keys(), ...truth.states.keys()])) if (!isDeepStrictEqual(states.get(key), truth.states.get(key))) mismatched++

  // Cases: one execution per escalated decision, started with that decision.
  const escalated = new Map([...decisions.values()].filter((d) => d.outcome !== 'approve').map((d) => [caseId(d.transactionId), d]))
  const executions = observed.machine.list()
  for (const name of executions) {
    const decision = escalated.get(name)
    if (decision === undefined) doubleCounted++
    else if (!isDeepStrictEqual((observed.machine.describe(name).input as { decision: Decision }).decision, decision)) mismatched++
  }
  const started = new Set(executions)
  for (const name of escalated.keys()) if (!started.has(name)) lost++

  return {
    lost,
    doubleCounted,
    mismatched,
    decisions: decisions.size,
    quarantined: quarantined.size,
    versions,
    cases: { starts: observed.caseStarts, executions: executions.length, escalated: escalated.size },
  }
}

import type { Decision } from '../core/decision.ts'
import type { LabelSubject } from '../core/labels/apply-batch.ts'
import type { RecordShape } from '../core/record-shape.ts'
import type { Issue } from '../core/result.ts'
import type { Transaction } from '../core/transaction.ts'
import type { CompiledRuleSet } from '../core/rules/compile.ts'
import type { EntityKey } from '../core/scoring.ts'
import type { EntityItem, StoredDecision } from '../core/stream/batch.ts'
import type { Position } from '../core/stream/position.ts'

/** What the scorer needs from storage and the outside world; AWS adapters live in functions/aws/. */

export interface DecisionStore {
  /** Strongly consistent: a duplicate must not slip through on a stale read. */
  read(transactionIds: readonly string[]): Promise<Map<string, StoredDecision>>
  /** Writes unless one exists; then returns the stored one. `subject`: where the transaction's labels will count. */
  write(decision: Decision, source: Position, subject: LabelSubject): Promise<'written' | StoredDecision>
}

export interface EntityStore {
  read(keys: readonly EntityKey[]): Promise<Map<EntityKey, EntityItem>>
  /** Writes if the stored version is still `expectedVersion` (undefined: no item yet). */
  write(key: EntityKey, item: EntityItem, expectedVersion: number | undefined): Promise<'written' | 'conflict'>
}

/** A record that is not a valid transaction, kept (PAN-free) with why, where it came from. */
export interface QuarantineEntry {
  position: Position
  partitionKey: string
  code: string
  issues: Issue[]
  /** The payload's structure (types, lengths, safe key names), never its text. */
  shape: RecordShape
  receivedAt: string
}

export interface QuarantineStore {
  put(entry: QuarantineEntry): Promise<void>
}

/** Review and block decisions go here; one transaction opens at most one case however often called. */
export interface EscalationPort {
  escalate(decision: Decision, transaction: Transaction): Promise<void>
}

export interface RuleSetSource {
  /** The active rule set, compiled; refreshed by version, so a new version applies within seconds. */
  current(): Promise<CompiledRuleSet>
}

/** Counts of fired rules per rule-set version: what a rule's hit rate and precision are measured on. */
export interface RuleStatsPort {
  addHits(version: number, hits: ReadonlyMap<string, number>): Promise<void>
}

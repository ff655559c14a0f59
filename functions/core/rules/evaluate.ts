import { listsSeenBy } from '../card-lists.ts'
import type { RuleHit } from '../decision.ts'
import type { FeatureValues } from '../features/definition.ts'
import { redactPans } from '../pan-text.ts'
import type { Transaction } from '../transaction.ts'
import type { CompiledRule, CompiledRuleSet, RuleInput } from './compile.ts'

/**
 * Runs every rule (active and shadow) and returns the ones that fired or errored. A rule that
 * throws (say it reads `txn.device.ip` on a transaction without a device) is reported as errored
 * and the rest of the set still runs. `models`: the rule set's model scores by name.
 */
export function evaluateRules(ruleSet: CompiledRuleSet, txn: Transaction, features: FeatureValues, models: Record<string, number> = {}): RuleHit[] {
  const context = { txn, features, lists: listsSeenBy(txn.card, ruleSet.lists), models }
  const hits: RuleHit[] = []
  for (const rule of ruleSet.rules) {
    let result: unknown
    try {
      result = rule.evaluate(context)
    } catch (error) {
      hits.push(hit(rule, 'errored', context, messageOf(error)))
      continue
    }
    if (result === true) hits.push(hit(rule, 'fired', context))
    else if (result !== false) hits.push(hit(rule, 'errored', context, `yielded ${typeof result}, not a bool`))
  }
  return hits
}

function hit(rule: CompiledRule, status: RuleHit['status'], input: RuleInput, error?: string): RuleHit {
  const result: RuleHit = { id: rule.id, mode: rule.mode, status, score: rule.score, values: readValues(rule, input) }
  if (rule.action) result.action = rule.action
  if (error !== undefined) result.error = error
  return result
}

/** The explanation: the value of every feature, model score and transaction field the rule's condition read. */
function readValues(rule: CompiledRule, { txn, features, models }: RuleInput): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const name of rule.reads.features) {
    const value = features[name]
    if (value !== undefined) values[`features.${name}`] = value
  }
  for (const name of rule.reads.models) values[`models.${name}`] = models[name]
  for (const path of rule.reads.txnPaths) {
    let value: unknown = txn
    for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key]
    if (value !== undefined && typeof value !== 'object') values[`txn.${path}`] = value
  }
  return values
}

/** A CEL error can quote the values it read (a list entry, a field): stored with the decision, it goes through the PAN text policy. */
const messageOf = (error: unknown): string =>
  redactPans((error as { summary?: string }).summary ?? (error instanceof Error ? error.message : String(error)))

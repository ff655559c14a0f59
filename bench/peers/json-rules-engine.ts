import { Engine, type RuleProperties } from 'json-rules-engine'
import type { FeatureValues } from '../../functions/core/features/definition.ts'
import type { Transaction } from '../../functions/core/transaction.ts'

/**
 * rules/default.json, written by hand for json-rules-engine. The peer gets its most favourable
 * setup: flat facts (no JSONPath lookups), a precomputed local hour and spend ratio (it has no
 * arithmetic in conditions), and the same feature values Vigil computes.
 */
type Condition = { fact: string; operator: string; value: unknown }

const rule = (id: string, score: number, action: string | undefined, all: Condition[]): RuleProperties => ({
  name: id,
  conditions: { all },
  event: { type: id, params: { score, action } },
})

export function jsonRulesEngine(ruleSet: { lists: Record<string, string[]> }): Engine {
  const l = ruleSet.lists
  return new Engine(
    [
      rule('velocity-10m', 40, undefined, [{ fact: 'card_count_10m', operator: 'greaterThanInclusive', value: 5 }]),
      rule('velocity-1h', 60, undefined, [{ fact: 'card_count_1h', operator: 'greaterThanInclusive', value: 15 }]),
      rule('card-testing', 90, 'block', [
        { fact: 'amount', operator: 'lessThanInclusive', value: 200 },
        { fact: 'card_distinct_merchants_10m', operator: 'greaterThanInclusive', value: 3 },
        { fact: 'card_max_amount_10m', operator: 'lessThanInclusive', value: 200 },
      ]),
      rule('spend-spike', 50, undefined, [
        { fact: 'card_count_30d', operator: 'greaterThanInclusive', value: 5 },
        { fact: 'spend_ratio', operator: 'greaterThan', value: 10 },
      ]),
      rule('impossible-travel', 70, undefined, [
        { fact: 'card_kmh_from_last', operator: 'greaterThan', value: 900 },
        { fact: 'card_km_from_last', operator: 'greaterThan', value: 100 },
      ]),
      rule('new-device-high-amount', 50, undefined, [
        { fact: 'account_new_device', operator: 'equal', value: true },
        { fact: 'amount', operator: 'greaterThanInclusive', value: 50000 },
      ]),
      rule('risky-mcc-night', 30, undefined, [
        { fact: 'mcc', operator: 'in', value: l.risky_mcc ?? [] },
        { fact: 'local_hour', operator: 'lessThan', value: 6 },
      ]),
      rule('spend-jump', 40, undefined, [
        { fact: 'card_count_30d', operator: 'greaterThanInclusive', value: 5 },
        { fact: 'spend_ratio', operator: 'greaterThan', value: 3 },
      ]),
      rule('merchant-fraud-week', 40, undefined, [{ fact: 'merchant_fraud_rate_7d', operator: 'greaterThanInclusive', value: 0.3 }]),
      rule('merchant-fraud-day', 30, undefined, [{ fact: 'merchant_fraud_rate_1d', operator: 'greaterThanInclusive', value: 0.5 }]),
      rule('merchant-fraud-month', 20, undefined, [{ fact: 'merchant_fraud_count_28d', operator: 'greaterThanInclusive', value: 3 }]),
      rule('device-confirmed-fraud', 40, undefined, [{ fact: 'device_fraud_count_30d', operator: 'greaterThanInclusive', value: 1 }]),
      rule('card-flagged-before', 10, undefined, [{ fact: 'card_flagged_before', operator: 'equal', value: true }]),
      rule('blocked-card', 0, 'block', [{ fact: 'card_token', operator: 'in', value: l.blocked_cards ?? [] }]),
      rule('blocked-merchant', 0, 'block', [{ fact: 'merchant_id', operator: 'in', value: l.blocked_merchants ?? [] }]),
      rule('blocked-ip', 0, 'block', [{ fact: 'ip', operator: 'in', value: l.blocked_ips ?? [] }]),
      rule('trusted-account', 0, 'allow', [{ fact: 'account_id', operator: 'in', value: l.trusted_accounts ?? [] }]),
      rule('ip-many-cards', 40, undefined, [{ fact: 'ip_distinct_cards_1h', operator: 'greaterThanInclusive', value: 5 }]),
    ],
    { allowUndefinedFacts: true },
  )
}

/** The flat facts the peer's rules read. */
export function jsonRulesEngineFacts(txn: Transaction, features: FeatureValues): Record<string, unknown> {
  const average = features.card_avg_amount_30d
  return {
    ...features,
    amount: txn.amount,
    mcc: txn.merchant.mcc,
    merchant_id: txn.merchant.id,
    card_token: txn.card.token,
    ip: txn.device?.ip,
    account_id: txn.accountId,
    local_hour: Number(txn.occurredAt.slice(11, 13)),
    spend_ratio: typeof average === 'number' && average > 0 ? txn.amount / average : undefined,
  }
}

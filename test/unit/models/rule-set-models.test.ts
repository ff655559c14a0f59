import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decideOutcome } from '../../../functions/core/decision.ts'
import { MemoryScorer } from '../../../functions/core/memory-scorer.ts'
import { transactionInputs } from '../../../functions/core/models/inputs.ts'
import { compileModel, type CompiledModel } from '../../../functions/core/models/model-file.ts'
import { compileRuleSet, type CompiledRuleSet } from '../../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../../functions/core/rules/rule-set.ts'
import { scoreTransaction } from '../../../functions/core/scoring.ts'
import { logisticModel } from '../../support/synthetic-model.ts'
import { rule, ruleSet, txn } from '../rules/fixtures/rule-set.ts'

const card = { name: 'card_count_1h', entity: 'card', aggregate: 'count', window: '1h' } as const

/** A logistic model over the card's count and the amount: its score is known in closed form. */
function logistic(version = 1, weights = [0.8, 0.001], intercept = -3, features = ['card_count_1h', 'txn_amount']): CompiledModel {
  const compiled = compileModel(logisticModel(features, weights, intercept, { version }))
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
  return compiled.value
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

function compile(input: RuleSetInput, models: CompiledModel[] = [logistic()]): CompiledRuleSet {
  const compiled = compileRuleSet(input, { models })
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error.issues))
  return compiled.value
}

const issues = (input: RuleSetInput, models: CompiledModel[] = [logistic()]) => {
  const compiled = compileRuleSet(input, { models })
  if (compiled.ok) throw new Error('expected the rule set to be refused')
  return compiled.error.issues
}

describe('models in a rule set', () => {
  it('scores the pinned model on the features as they were before the transaction, rules read it as models.<name>, and the decision explains it', () => {
    const set = compile(ruleSet([rule('model-high', 'models.fraud > 0.5', { score: 60 })], { features: [card], models: [{ name: 'fraud', version: 1 }] }))
    const scorer = new MemoryScorer(set)
    const decisions = [0, 1, 2, 3, 4, 5].map((i) => scorer.score(txn({ transactionId: `tx-${i}`, occurredAt: `2026-11-24T10:0${i}:00Z`, amount: 1000 }), '2026-11-24T11:00:00Z'))
    decisions.forEach((decision, i) => {
      // The i-th transaction sees i earlier ones in the hour.
      const p = sigmoid(-3 + 0.8 * i + 0.001 * 1000)
      const [model] = decision.models!
      expect(model).toMatchObject({ name: 'fraud', version: 1, mode: 'active' })
      expect(model!.score).toBeCloseTo(p, 12)
      expect(decision.rules.map((r) => r.id)).toEqual(p > 0.5 ? ['model-high'] : [])
      if (p > 0.5) expect(decision.rules[0]!.values['models.fraud']).toBe(model!.score)
      // Largest |contribution| first; a zero count contributes nothing and is left out.
      const expected = [
        { feature: 'card_count_1h', value: i, contribution: 0.8 * i },
        { feature: 'txn_amount', value: 1000, contribution: 1 },
      ]
        .filter((c) => c.contribution !== 0)
        .sort((a, b) => b.contribution - a.contribution)
      expect(model!.top.map((c) => c.feature)).toEqual(expected.map((c) => c.feature))
      model!.top.forEach((c, k) => expect(c.contribution).toBeCloseTo(expected[k]!.contribution, 12))
    })
    expect(decisions.map((d) => d.outcome)).toContain('review')
  })

  it('adds weight × score of an active model to the decision score; a shadow model is recorded and moves nothing', () => {
    const input = (mode: 'active' | 'shadow') => ruleSet([rule('always', 'true', { score: 5 })], { features: [card], models: [{ name: 'fraud', version: 1, mode, weight: 100 }] })
    const t = txn({ amount: 4000 })
    const p = sigmoid(-3 + 0.001 * 4000)
    const active = scoreTransaction(compile(input('active')), t, {}, t.occurredAt).decision
    const shadow = scoreTransaction(compile(input('shadow')), t, {}, t.occurredAt).decision
    expect(active.score).toBeCloseTo(5 + 100 * p, 10)
    expect(active.models![0]).toMatchObject({ mode: 'active', weight: 100 })
    expect(shadow.score).toBe(5)
    expect(shadow.models![0]).toMatchObject({ mode: 'shadow', score: active.models![0]!.score })
    expect(shadow.models![0]!.weight).toBeUndefined()
  })

  it('leaves decisions of a rule set without models exactly as they were (no models key)', () => {
    const decision = scoreTransaction(compile(ruleSet([rule('always', 'true')]), []), txn(), {}, txn().occurredAt).decision
    expect(decision).not.toHaveProperty('models')
  })

  it('refuses a model version it does not have, an input the rule set does not declare, and an unknown models.<name>, all at once', () => {
    const found = issues(
      ruleSet([rule('a', 'models.fraud > 0.5'), rule('b', 'models.other > 0.1')], { models: [{ name: 'fraud', version: 2 }] }),
      [logistic(1)],
    )
    expect(found.map((i) => i.path)).toEqual(['rules[1].when', 'models[0]'])
    expect(found[0]!.message).toMatch(/reads model "other", which the rule set does not name/)
    expect(found[1]!.message).toMatch(/model fraud version 2 is not available/)
    expect(issues(ruleSet([rule('a', 'true')], { models: [{ name: 'fraud', version: 1 }] }))[0]!.message).toMatch(/reads card_count_1h: declare them as features/)
  })

  it('refuses an active rule that reads a shadow model, naming the rule', () => {
    const found = issues(ruleSet([rule('acts', 'models.fraud > 0.9', { action: 'block' })], { features: [card], models: [{ name: 'fraud', version: 1, mode: 'shadow' }] }))
    expect(found).toEqual([expect.objectContaining({ path: 'models[0].mode', ruleId: 'acts' })])
    expect(() => compile(ruleSet([rule('watches', 'models.fraud > 0.9', { mode: 'shadow' })], { features: [card], models: [{ name: 'fraud', version: 1, mode: 'shadow' }] }))).not.toThrow()
  })

  it('refuses two models of one name', () => {
    const found = issues(ruleSet([rule('a', 'true')], { features: [card], models: [{ name: 'fraud', version: 1 }, { name: 'fraud', version: 1 }] }))
    expect(found[0]).toMatchObject({ path: 'models[1].name', message: 'duplicate model name "fraud"' })
  })

  it('reads the transaction inputs in the zone the producer wrote the time in', () => {
    const at = (occurredAt: string) => txn({ occurredAt, channel: 'card_present', amount: 777 })
    // Saturday 03:00 in Tokyo is Friday 18:00 UTC.
    const tokyo = at('2026-11-28T03:00:00+09:00')
    expect(Object.fromEntries(Object.entries(transactionInputs).map(([name, read]) => [name, read(tokyo)]))).toEqual({
      txn_amount: 777,
      txn_local_hour: 3,
      txn_weekend: 1,
      txn_night: 1,
      txn_card_present: 1,
    })
    expect(transactionInputs.txn_weekend(at('2026-11-27T18:00:00Z'))).toBe(0)
    expect(transactionInputs.txn_night(at('2026-11-27T07:00:00Z'))).toBe(0)
  })

  it('decides as decideOutcome over its rule hits and model results, for any amounts, weights and modes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.double({ min: -200, max: 200, noNaN: true }), fc.constantFrom('active', 'shadow'), (amount, weight, mode) => {
        const set = compile(ruleSet([rule('big', 'txn.amount > 5000', { score: 30, mode: 'shadow' }), rule('small', 'txn.amount < 100', { score: 20 })], { features: [card], models: [{ name: 'fraud', version: 1, mode, weight }] }))
        const t = txn({ amount })
        const { decision } = scoreTransaction(set, t, {}, t.occurredAt)
        expect(decision.models![0]!.score).toBeCloseTo(sigmoid(-3 + 0.001 * amount), 12)
        expect({ outcome: decision.outcome, score: decision.score }).toEqual(decideOutcome(decision.rules, set.thresholds, decision.models))
        const fromRules = amount < 100 ? 20 : 0
        expect(decision.score).toBeCloseTo(fromRules + (mode === 'active' ? weight * decision.models![0]!.score : 0), 9)
      }),
    )
  })
})

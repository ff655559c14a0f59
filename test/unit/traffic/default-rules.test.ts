import { describe, expect, it } from 'vitest'
import { MemoryScorer } from '../../../functions/core/memory-scorer.ts'
import { parseTransaction } from '../../../functions/core/transaction.ts'
import { testKey } from '../../support/transactions.ts'
import { scenarioNames, type ScenarioName } from '../../../local/traffic/index.ts'
import { compiled, defaultRuleSet, firedIds } from '../../support/scenario.ts'
import { collect, timeOf } from './fixtures.ts'

/** The rule of rules/default.json each scenario is built to trip (a compromised merchant trips several). */
const targets: Record<ScenarioName, string[]> = {
  card_testing: ['card-testing'],
  account_takeover: ['new-device-high-amount'],
  impossible_travel: ['impossible-travel'],
  spend_spike: ['spend-spike'],
  compromised_merchant: ['new-device-high-amount', 'spend-spike', 'ip-many-cards'],
  risky_mcc_night: ['risky-mcc-night'],
}

describe('generated traffic under the default rules', () => {
  const scorer = new MemoryScorer(compiled(defaultRuleSet()))
  const episodes = new Map<number, { scenario: ScenarioName; start: number; hit: boolean }>()
  let normal = 0
  let normalFlagged = 0
  let last = 0
  for (const e of collect({ count: 60_000, fraudShare: 0.04 })) {
    if (e.kind !== 'valid') continue
    const parsed = parseTransaction(e.transaction, testKey)
    if (!parsed.ok) throw new Error(e.line)
    const decision = scorer.score(parsed.value, parsed.value.occurredAt)
    last = timeOf(e.transaction)
    if (e.scenario === undefined) {
      normal++
      if (decision.outcome !== 'approve') normalFlagged++
      continue
    }
    const episode = episodes.get(e.episode!) ?? { scenario: e.scenario, start: last, hit: false }
    if (firedIds(decision).some((id) => targets[e.scenario!].includes(id))) episode.hit = true
    episodes.set(e.episode!, episode)
  }

  it.each(scenarioNames)('%s episodes fire the rule they target', (scenario) => {
    const done = [...episodes.values()].filter((ep) => ep.scenario === scenario && ep.start < last - 6 * 3_600_000)
    expect(done.length).toBeGreaterThan(0)
    expect(done.filter((ep) => ep.hit).length / done.length).toBeGreaterThanOrEqual(0.95)
  })

  it('lets ordinary traffic through almost always', () => {
    expect(normalFlagged / normal).toBeLessThan(0.01)
  })
})

describe('generated traffic under the default rules, with its frauds reported a day later', () => {
  // The label-fed rules learn from chargebacks; ordinary traffic at the same merchants, cards and
  // devices must still go through. At the generator's default fraud share (1%).
  const scorer = new MemoryScorer(compiled(defaultRuleSet()), { labels: true })
  const due: Array<{ at: number; transactionId: string }> = []
  const labelFed = ['merchant-fraud-week', 'merchant-fraud-day', 'merchant-fraud-month', 'device-confirmed-fraud', 'card-flagged-before']
  let normal = 0
  let normalFlagged = 0
  let labelFedOnNormal = 0
  let flaggedWithLabelFed = 0
  let labelFedOnFraud = 0
  let reported = 0
  for (const e of collect({ count: 60_000, fraudShare: 0.01 })) {
    if (e.kind !== 'valid') continue
    const parsed = parseTransaction(e.transaction, testKey)
    if (!parsed.ok) throw new Error(e.line)
    const time = timeOf(e.transaction)
    while (due.length > 0 && due[0]!.at <= time) {
      const { at, transactionId } = due.shift()!
      scorer.label({ transactionId, fraud: true, reportedAt: new Date(at).toISOString(), source: 'chargeback' })
      reported++
    }
    const decision = scorer.score(parsed.value, parsed.value.occurredAt)
    const fedFired = firedIds(decision).some((id) => labelFed.includes(id))
    if (e.scenario === undefined) {
      normal++
      if (decision.outcome !== 'approve') normalFlagged++
      if (fedFired) labelFedOnNormal++
      if (fedFired && decision.outcome !== 'approve') flaggedWithLabelFed++
    } else {
      if (fedFired) labelFedOnFraud++
      due.push({ at: time + 86_400_000, transactionId: parsed.value.transactionId })
    }
  }

  it('reports frauds, and the label-fed rules fire on later frauds', () => {
    expect(reported).toBeGreaterThan(100)
    expect(labelFedOnFraud).toBeGreaterThan(0)
  })

  it('lets ordinary traffic through almost always, label-fed rules included: on it they add points, rarely a verdict', () => {
    expect(normalFlagged / normal).toBeLessThan(0.01)
    // A card with a chargeback keeps its cardholder, a merchant with three frauds its customers:
    // the rules fire (10 and 20 points) on their later ordinary transactions, which they must not flag alone.
    expect(labelFedOnNormal).toBeGreaterThan(0)
    expect(flaggedWithLabelFed / normal).toBeLessThan(0.005)
  })
})

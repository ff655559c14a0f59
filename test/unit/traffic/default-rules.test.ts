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

import { describe, expect, it } from 'vitest'
import { singleKey } from '../../../functions/core/keyring.ts'
import { luhnValid } from '../../../functions/core/pan.ts'
import { parseTransaction } from '../../../functions/core/transaction.ts'
import { replay } from '../../../bench/detection/replay.ts'
import { benchRuleSets } from '../../../bench/detection/rule-sets.ts'
import { simulate } from '../../../bench/detection/simulator.ts'
import { customerPan, wireTransactions } from '../../../bench/detection/transactions.ts'

const keyring = singleKey('detection-test-tokenization-key', 'test')
const data = simulate({ customers: 200, terminals: 400, days: 30, startDate: '2018-04-01', radius: 5, seed: 3 })
const sets = await benchRuleSets()

describe('handbook transactions as Vigil transactions', () => {
  const wire = wireTransactions(data, keyring)
  const t = data.transactions

  it('maps every row to a valid transaction: customer → card and account, terminal → merchant, cents, UTC time', () => {
    for (let i = 0; i < t.count; i += 97) {
      const parsed = parseTransaction(wire(i), keyring)
      expect(parsed.ok).toBe(true)
      if (!parsed.ok) continue
      expect(parsed.value.amount).toBe(t.amountCents[i])
      expect(parsed.value.merchant.id).toBe(`terminal-${t.terminal[i]}`)
      expect(parsed.value.accountId).toBe(`customer-${t.customer[i]}`)
      expect(Date.parse(parsed.value.occurredAt)).toBe(Date.parse('2018-04-01T00:00:00Z') + t.seconds[i]! * 1000)
    }
  })

  it('gives each customer one Luhn-valid test card, tokenized, never the PAN', () => {
    expect(luhnValid(customerPan(0))).toBe(true)
    expect(luhnValid(customerPan(4999))).toBe(true)
    const tokens = new Map<number, string>()
    for (let i = 0; i < t.count; i++) {
      const card = wire(i).card
      expect('pan' in card).toBe(false)
      const token = 'token' in card ? card.token : ''
      const seen = tokens.get(t.customer[i]!)
      if (seen !== undefined) expect(token).toBe(seen)
      tokens.set(t.customer[i]!, token)
    }
    expect(new Set(tokens.values()).size).toBe(tokens.size)
  })
})

describe('replay with labels', () => {
  const delayDays = 7
  const withLabels = replay(data, { ruleSet: sets.withLabels, keyring, fromDay: 0, toDay: data.config.days, labels: { delayDays } })
  const blind = replay(data, { ruleSet: sets.withLabels, keyring, fromDay: 0, toDay: data.config.days })

  it('scores nothing differently before the first label can be known', () => {
    const t = data.transactions
    for (let i = 0; i < t.count && t.day[i]! < delayDays; i++) expect(withLabels.score[i]).toBe(blind.score[i])
  })

  it('feeds each fraud’s label once it is known, and label-fed rules then move scores', () => {
    const t = data.transactions
    const knownBeforeEnd = Array.from(t.fraud).filter((f, i) => f && t.seconds[i]! + delayDays * 86_400 <= t.seconds[t.count - 1]!).length
    expect(withLabels.labelsApplied).toBe(knownBeforeEnd)
    expect(Array.from(withLabels.score).some((s, i) => s !== blind.score[i])).toBe(true)
  })

  it('strips every label-fed feature and the rules that read one for the column without them', () => {
    expect(sets.removedFeatures.length).toBeGreaterThan(0)
    expect(sets.withoutLabels.features.some((f) => ['fraud_count', 'fraud_rate', 'flagged_before'].includes(f.aggregate))).toBe(false)
    expect(sets.withoutLabels.rules.map((r) => r.id)).toEqual(sets.withLabels.rules.map((r) => r.id).filter((id) => !sets.removedRules.includes(id)))
  })
})

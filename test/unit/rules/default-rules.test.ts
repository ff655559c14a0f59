import { describe, expect, it } from 'vitest'
import { primaryToken } from '../../../functions/core/keyring.ts'
import { compiled, defaultRuleSet, firedIds, history, replay } from '../../support/scenario.ts'
import { testKey } from '../../support/transactions.ts'

const rules = compiled(defaultRuleSet())
const last = <T>(items: T[]) => items[items.length - 1]
const lastFired = (steps: Parameters<typeof history>[1], ruleSet = rules) => firedIds(last(replay(ruleSet, history('2026-11-24T10:00:00Z', steps))))

const withLists = (lists: Record<string, string[]>) => {
  const input = defaultRuleSet()
  return compiled({ ...input, lists: { ...input.lists, ...lists } })
}

describe('default rules', () => {
  describe('velocity-10m', () => {
    it('fires on the sixth card transaction within ten minutes', () => {
      expect(lastFired([0, 1, 2, 3, 4, 5].map((at) => ({ at, merchant: { id: 'm-7', mcc: '5999' } })))).toContain('velocity-10m')
    })
    it('stays quiet for transactions an hour apart', () => {
      expect(lastFired([0, 60, 120].map((at) => ({ at })))).not.toContain('velocity-10m')
    })
  })

  describe('velocity-1h', () => {
    it('fires on the sixteenth transaction within the hour, spread too thin for the 10-minute rule', () => {
      const fired = lastFired(Array.from({ length: 16 }, (_, i) => ({ at: i * 3.5 })))
      expect(fired).toContain('velocity-1h')
      expect(fired).not.toContain('velocity-10m')
    })
    it('stays quiet for a handful of transactions a day', () => {
      expect(lastFired([0, 240, 480, 720].map((at) => ({ at })))).not.toContain('velocity-1h')
    })
  })

  describe('card-testing', () => {
    const probe = (merchant: string, at: number, amount = 100) => ({ at, amount, merchant: { id: merchant } })
    it('fires and blocks on a small amount after small amounts at three distinct merchants within minutes', () => {
      const decisions = replay(rules, history('2026-11-24T10:00:00Z', [probe('m-1', 0), probe('m-2', 1), probe('m-3', 2), probe('m-4', 3)]))
      expect(firedIds(last(decisions))).toContain('card-testing')
      expect(last(decisions)?.outcome).toBe('block')
    })
    it('stays quiet for small amounts at one merchant (a coffee habit)', () => {
      expect(lastFired([0, 1, 2, 3].map((at) => probe('m-cafe', at)))).not.toContain('card-testing')
    })
    it('stays quiet when the earlier amounts were not small', () => {
      expect(lastFired([probe('m-1', 0, 5000), probe('m-2', 1, 7000), probe('m-3', 2, 9000), probe('m-4', 3)])).not.toContain('card-testing')
    })
  })

  describe('spend-spike', () => {
    const usual = Array.from({ length: 10 }, (_, i) => ({ at: i * 24 * 60, amount: 2000 }))
    it('fires on an amount fifteen times the card’s 30-day average', () => {
      expect(lastFired([...usual, { at: 10 * 24 * 60, amount: 30000 }])).toContain('spend-spike')
    })
    it('stays quiet on twice the average, and on a card without history', () => {
      expect(lastFired([...usual, { at: 10 * 24 * 60, amount: 4000 }])).not.toContain('spend-spike')
      expect(lastFired([{ at: 0, amount: 2000 }, { at: 10, amount: 90000 }])).not.toContain('spend-spike')
    })
  })

  describe('impossible-travel', () => {
    const paris = { lat: 48.8566, lon: 2.3522 }
    it('fires on Paris then New York an hour later, and explains with the speed it read', () => {
      const decision = last(replay(rules, history('2026-11-24T10:00:00Z', [{ at: 0, location: paris }, { at: 60, location: { lat: 40.7128, lon: -74.006 } }])))
      const hit = decision?.rules.find((r) => r.id === 'impossible-travel')
      expect(hit?.status).toBe('fired')
      expect(hit?.values['features.card_kmh_from_last']).toBeGreaterThan(5000)
      expect(hit?.values['features.card_km_from_last']).toBeGreaterThan(5800)
    })
    it('stays quiet on Paris then Versailles an hour later, and without locations', () => {
      expect(lastFired([{ at: 0, location: paris }, { at: 60, location: { lat: 48.8049, lon: 2.1204 } }])).not.toContain('impossible-travel')
      expect(lastFired([{ at: 0, location: undefined }, { at: 1, location: undefined }])).not.toContain('impossible-travel')
    })
  })

  describe('new-device-high-amount', () => {
    const known = { id: 'dev-home', ip: '198.51.100.4' }
    it('fires on a first-seen device for the account with a high amount', () => {
      expect(lastFired([{ at: 0, device: known }, { at: 60, device: { id: 'dev-new', ip: '203.0.113.99' }, amount: 60000 }])).toContain('new-device-high-amount')
    })
    it('stays quiet on the known device, and on a new device with a small amount', () => {
      expect(lastFired([{ at: 0, device: known }, { at: 60, device: known, amount: 60000 }])).not.toContain('new-device-high-amount')
      expect(lastFired([{ at: 0, device: known }, { at: 60, device: { id: 'dev-new' }, amount: 1000 }])).not.toContain('new-device-high-amount')
    })
  })

  describe('risky-mcc-night', () => {
    const gambling = { id: 'm-casino', mcc: '7995' }
    it('fires on a gambling merchant at 3 am local time', () => {
      const fired = firedIds(last(replay(rules, history('2026-11-24T02:00:00Z', [{ at: 0, merchant: gambling, occurredAt: '2026-11-24T03:10:00+01:00' }]))))
      expect(fired).toContain('risky-mcc-night')
    })
    it('uses the local hour, not UTC, and needs both the MCC and the hour', () => {
      const at = (occurredAt: string, merchant: { id: string; mcc?: string }) =>
        firedIds(last(replay(rules, history('2026-11-24T00:00:00Z', [{ at: 0, merchant, occurredAt }]))))
      expect(at('2026-11-24T15:10:00+01:00', gambling)).not.toContain('risky-mcc-night')
      expect(at('2026-11-24T03:10:00+01:00', { id: 'm-grocer', mcc: '5411' })).not.toContain('risky-mcc-night')
      expect(at('2026-11-24T08:30:00+05:30', gambling)).not.toContain('risky-mcc-night')
    })
  })

  describe('block lists', () => {
    const token = primaryToken('4111111111111111', testKey)
    it('blocks a listed card token, merchant or IP', () => {
      expect(replay(withLists({ blocked_cards: [token] }), history('2026-11-24T10:00:00Z', [{ at: 0 }]))[0]?.outcome).toBe('block')
      expect(replay(withLists({ blocked_merchants: ['m-7'] }), history('2026-11-24T10:00:00Z', [{ at: 0 }]))[0]?.outcome).toBe('block')
      expect(replay(withLists({ blocked_ips: ['203.0.113.7'] }), history('2026-11-24T10:00:00Z', [{ at: 0 }]))[0]?.outcome).toBe('block')
    })
    it('approves what is not listed', () => {
      const decision = replay(withLists({ blocked_cards: ['someone-else'], blocked_ips: ['192.0.2.1'] }), history('2026-11-24T10:00:00Z', [{ at: 0 }]))[0]
      expect(decision?.outcome).toBe('approve')
      expect(firedIds(decision)).toEqual([])
    })
    it('lets a trusted account through even when its card is listed (allow wins)', () => {
      const decision = replay(withLists({ blocked_cards: [token], trusted_accounts: ['acc-42'] }), history('2026-11-24T10:00:00Z', [{ at: 0 }]))[0]
      expect(firedIds(decision)).toEqual(['blocked-card', 'trusted-account'])
      expect(decision?.outcome).toBe('approve')
    })
  })

  describe('ip-many-cards (shadow)', () => {
    it('is reported when five other cards came from the IP, but never changes the outcome', () => {
      const pans = ['4111111111111111', '5555555555554444', '4012888888881881', '5105105105105100', '4222222222222', '378282246310005']
      const decision = last(replay(rules, history('2026-11-24T10:00:00Z', pans.map((pan, i) => ({ at: i * 5, card: { pan }, accountId: `acc-${i}` })))))
      expect(decision?.rules.find((r) => r.id === 'ip-many-cards')).toMatchObject({ mode: 'shadow', status: 'fired' })
      expect(decision?.outcome).toBe('approve')
      expect(decision?.score).toBe(0)
    })
  })

  it('approves ordinary traffic: a few purchases a day with one card, device and city', () => {
    const days = Array.from({ length: 30 }, (_, d) => [{ at: d * 1440 + 9 * 60, amount: 1800 }, { at: d * 1440 + 13 * 60, amount: 1200 }, { at: d * 1440 + 19 * 60, amount: 4500 }]).flat()
    const decisions = replay(rules, history('2026-11-01T00:00:00Z', days))
    expect(decisions.filter((d) => d.outcome !== 'approve')).toEqual([])
    expect(decisions.flatMap(firedIds)).toEqual([])
  })
})

describe('rule errors', () => {
  it('marks a rule that fails at evaluation as errored and still runs the rest', () => {
    const input = defaultRuleSet()
    const ruleSet = compiled({
      ...input,
      rules: [
        { id: 'needs-device', description: 'reads the IP without has()', when: 'txn.device.ip == "192.0.2.1"', score: 100, mode: 'active' },
        { id: 'always', description: 'fires', when: 'txn.amount >= 0', score: 60, mode: 'active' },
      ],
    })
    const [decision] = replay(ruleSet, history('2026-11-24T10:00:00Z', [{ at: 0, device: undefined }]))
    expect(decision?.rules.map((r) => [r.id, r.status])).toEqual([
      ['needs-device', 'errored'],
      ['always', 'fired'],
    ])
    expect(decision?.rules[0]?.error).toMatch(/device/)
    expect(decision).toMatchObject({ outcome: 'review', score: 60 })
  })
})

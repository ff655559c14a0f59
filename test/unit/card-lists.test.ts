import { describe, expect, it } from 'vitest'
import { listsSeenBy } from '../../functions/core/card-lists.ts'
import { primaryToken, singleKey, type Keyring } from '../../functions/core/keyring.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import { parseTransaction, type WireTransaction } from '../../functions/core/transaction.ts'
import { compiled, defaultRuleSet, firedIds, history } from '../support/scenario.ts'

const oldKey = 'the-old-key-0123456789'
const newKey = 'the-new-key-0123456789'
const before = singleKey(oldKey)
const changeOver: Keyring = { primary: 'k2', keys: { k1: oldKey, k2: newKey } }
const after = singleKey(newKey, 'k2')

const blockedUnderOldKey = compiled({ ...defaultRuleSet(), lists: { ...defaultRuleSet().lists, blocked_cards: [primaryToken('4111111111111111', before)] } })

function decide(keyring: Keyring, txns: WireTransaction[]) {
  const scorer = new MemoryScorer(blockedUnderOldKey)
  return txns.map((wire) => {
    const parsed = parseTransaction(wire, keyring)
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error))
    return scorer.score(parsed.value, parsed.value.occurredAt)
  })
}
const once = history('2026-11-24T10:00:00Z', [{ at: 0 }])

describe('block lists across a key change-over', () => {
  it('a card listed under the old key is still blocked once the new key is primary', () => {
    expect(firedIds(decide(before, once)[0])).toContain('blocked-card')
    const [decision] = decide(changeOver, once)
    expect(decision?.outcome).toBe('block')
    expect(firedIds(decision)).toContain('blocked-card')
  })

  it('is no longer blocked under the old listing once the old key is retired (re-list it under the new key first)', () => {
    expect(firedIds(decide(after, once)[0])).not.toContain('blocked-card')
  })

  it('another card is not blocked by the alias check', () => {
    expect(firedIds(decide(changeOver, history('2026-11-24T10:00:00Z', [{ at: 0, card: { pan: '5555555555554444' } }]))[0])).not.toContain('blocked-card')
  })

  it('copies no list outside a change-over, and only the lists that hold the alias inside one', () => {
    const lists = { blocked_cards: new Set(['k1_old']), blocked_ips: new Set(['203.0.113.7']) }
    expect(listsSeenBy({ token: 'k2_new' }, lists)).toBe(lists)
    const seen = listsSeenBy({ token: 'k2_new', aliases: ['k1_old'] }, lists)
    expect(seen.blocked_cards).toEqual(new Set(['k1_old', 'k2_new']))
    expect(seen.blocked_ips).toBe(lists.blocked_ips)
    expect(lists.blocked_cards).toEqual(new Set(['k1_old']))
  })
})

import { describe, expect, it } from 'vitest'
import { withAliasHistory } from '../../functions/core/card-history.ts'
import type { EntityKey } from '../../functions/core/scoring.ts'
import type { EntityItem } from '../../functions/core/stream/batch.ts'

const item = (version: number, count: number): EntityItem => ({ state: { count } as unknown as EntityItem['state'], version, highWater: { 'shardId-0': `${version}` } })
const aliases = new Map<EntityKey, EntityKey>([['card#k2_new', 'card#k1_old']])

describe('withAliasHistory', () => {
  it("starts a card that has no item from its alias's state and marks, as an item not stored yet (version 0)", () => {
    const seeded = withAliasHistory(new Map([['card#k1_old' as EntityKey, item(7, 5)]]), aliases)
    expect(seeded.get('card#k2_new')).toEqual({ ...item(7, 5), version: 0 })
  })

  it('leaves a card that has an item of its own, and one whose alias has none, as read', () => {
    const own = new Map<EntityKey, EntityItem>([['card#k2_new', item(2, 1)], ['card#k1_old', item(7, 5)]])
    expect(withAliasHistory(own, aliases)).toEqual(own)
    expect(withAliasHistory(new Map(), aliases)).toEqual(new Map())
  })
})

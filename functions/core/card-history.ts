import type { CompiledRuleSet } from './rules/compile.ts'
import { entityKey, type EntityKey } from './scoring.ts'
import type { EntityItem } from './stream/batch.ts'
import type { Transaction } from './transaction.ts'

/**
 * A card's history across a key change-over. Once the new key is primary, a card's state is kept
 * under its new token; a card seen for the first time since then has no item there, but may have
 * one under its alias (its token under the old key). That item is where its state starts: the new
 * item is written as a new item (version 0 below: "not stored under this key", so the write is
 * conditional on the key being absent, and a concurrent first write from another shard wins and is
 * folded on, as any version conflict), carrying the old item's state and high-water marks, so a
 * record the old item already counted is not counted again. The old item is left as it is and
 * expires by its TTL.
 *
 * Not carried over: what reaches the old item after the new one exists (a record tokenized by a
 * producer under the old key, a label on a case opened before the change-over). During a
 * change-over these split the card's history between its two tokens, as a card's history was
 * split by every key change before key ids.
 */

/** For each card of the batch that has an alias, its entity key → its alias's entity key. */
export function cardAliasKeys(ruleSet: CompiledRuleSet, txns: readonly Transaction[]): Map<EntityKey, EntityKey> {
  const aliases = new Map<EntityKey, EntityKey>()
  if (!ruleSet.plan.entities.includes('card')) return aliases
  for (const txn of txns) {
    const alias = txn.card.aliases?.[0]
    if (alias !== undefined) aliases.set(entityKey('card', txn.card.token), entityKey('card', alias))
  }
  return aliases
}

/** The items read, each card that has none of its own starting from its alias's. */
export function withAliasHistory(items: ReadonlyMap<EntityKey, EntityItem>, aliases: ReadonlyMap<EntityKey, EntityKey>): Map<EntityKey, EntityItem> {
  const seeded = new Map(items)
  for (const [key, aliasKey] of aliases) {
    const old = items.get(aliasKey)
    if (!items.has(key) && old) seeded.set(key, { state: old.state, highWater: old.highWater, version: 0 })
  }
  return seeded
}

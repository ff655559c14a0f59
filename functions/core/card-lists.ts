import type { Transaction } from './transaction.ts'

type Lists = Readonly<Record<string, ReadonlySet<string>>>

/**
 * The rule set's lists as a transaction's rules see them: a list that holds the card under one of
 * its aliases (its token under the other live key) holds it under its token too. So during a key
 * change-over a card blocked under the old key stays blocked under the new one without a rule
 * knowing about keys (`txn.card.token in lists.blocked_cards`), and the block the escalation then
 * adds is under the new token, so the list moves itself over as listed cards come back.
 *
 * Only lists that hold an alias are copied: nothing is copied outside a change-over, and inside one
 * only for a listed card.
 */
export function listsSeenBy(card: Transaction['card'], lists: Lists): Lists {
  if (!card.aliases) return lists
  let seen: Record<string, ReadonlySet<string>> | undefined
  for (const [name, list] of Object.entries(lists)) {
    if (list.has(card.token) || !card.aliases.some((alias) => list.has(alias))) continue
    seen ??= { ...lists }
    seen[name] = new Set(list).add(card.token)
  }
  return seen ?? lists
}

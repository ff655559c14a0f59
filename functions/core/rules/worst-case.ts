import type { FeatureValues } from '../features/definition.ts'
import type { Transaction } from '../transaction.ts'
import type { CompiledRuleSet, RuleInput } from './compile.ts'
import { maxListEntries, maxListValueLength } from './rule-set.ts'
import { featureCelType } from './feature-types.ts'

/** One input a rule set is measured on, and what makes it hard. */
export interface WorstCase {
  label: string
  input: RuleInput
}

/** The longest id the transaction schema allows. */
const idLength = 128

/**
 * Text shapes that make string work slow: a long run that fails on its last character (what
 * makes a backtracking regex explode), a pattern that alternates two classes, every class of the
 * id alphabet in turn, and text outside ASCII (two bytes a character in V8).
 */
const shapes: ReadonlyArray<{ label: string; text: (length: number) => string; idsOnly?: boolean }> = [
  { label: 'a run failing on its last character', text: (n) => `${'a'.repeat(n - 1)}-` },
  { label: 'alternating classes', text: (n) => 'a-'.repeat(n).slice(0, n) },
  { label: 'every class in turn', text: (n) => 'aZ9_.:-'.repeat(n).slice(0, n) },
  { label: 'non-ASCII text', text: (n) => 'é'.repeat(n), idsOnly: true },
]

/**
 * The inputs a rule set is measured on before it is accepted (functions/rule-budget/): for each
 * text shape, a transaction with every optional field present, its ids and strings as long as
 * the schema allows and its numbers at their extremes, and one with every optional field absent
 * (a rule reading one then errors, which has its own cost); each with every feature at an
 * extreme value, at zero, and absent. Every list holds the most entries a rule set may declare,
 * each as long as allowed, none matching: a list grows at run time (cards listed by cases), so
 * work that grows with a list is measured at its largest. Pure: the same set gives the same cases.
 */
export function worstCases(set: CompiledRuleSet): WorstCase[] {
  const full = fullList()
  const lists = Object.fromEntries(Object.keys(set.lists).map((name) => [name, full]))
  // A model's score is a probability: where a rule reads one, its value does not change the rule's work.
  const models = Object.fromEntries(set.models.map((m) => [m.name, 1]))
  const cases: WorstCase[] = []
  for (const shape of shapes) {
    const txns: Array<[string, Transaction]> = [['every field present', everyField(shape.idsOnly ? shapes[0]!.text : shape.text, shape.text)]]
    if (!shape.idsOnly) txns.push(['optional fields absent', requiredOnly(shape.text)])
    for (const [fields, txn] of txns) {
      for (const [values, features] of featureVariants(set)) {
        cases.push({ label: `${shape.label}, ${fields}, features ${values}`, input: { txn, features, lists, models } })
      }
    }
  }
  return cases
}

function everyField(restricted: (length: number) => string, free: (length: number) => string): Transaction {
  return {
    // transactionId has a restricted alphabet; the other ids take any text.
    transactionId: restricted(idLength),
    occurredAt: '2026-12-31T23:59:59.999999+14:00',
    amount: Number.MAX_SAFE_INTEGER,
    currency: 'USD',
    accountId: free(idLength),
    merchant: { id: free(idLength), mcc: '9999', country: 'ZZ' },
    channel: 'card_present',
    device: { id: free(idLength), ip: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255' },
    location: { lat: -90, lon: 180 },
    card: { token: `kaaaaaaa_${restricted(43).replaceAll(/[.:]/g, 'a')}`, bin: '999999', last4: '9999' },
  }
}

function requiredOnly(text: (length: number) => string): Transaction {
  return {
    transactionId: text(idLength),
    occurredAt: '2026-01-01T00:00:00Z',
    amount: 0,
    currency: 'EUR',
    merchant: { id: text(idLength) },
    channel: 'ecommerce',
    card: { token: `k_${text(43).replaceAll(/[.:]/g, 'a')}` },
  }
}

function featureVariants(set: CompiledRuleSet): Array<[string, FeatureValues]> {
  const values = (pick: (type: 'int' | 'double' | 'bool') => number | boolean): FeatureValues =>
    Object.fromEntries(set.features.map((f) => [f.name, pick(featureCelType(f))]))
  return [
    ['at extremes', values((type) => (type === 'bool' ? true : type === 'int' ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE))],
    ['at zero', values((type) => (type === 'bool' ? false : 0))],
    ['absent', {}],
  ]
}

/**
 * One set shared by every list (a string per entry is 100,000 strings, not 100,000 per list),
 * built once per process: hashing 25 MB of entries takes a few hundred milliseconds. Entries are
 * a long run of one letter ending in distinct hex digits, longer than any id, so none matches.
 */
let full: ReadonlySet<string> | undefined
function fullList(): ReadonlySet<string> {
  if (full) return full
  const filler = 'a'.repeat(maxListValueLength - 8)
  const entries = Array.from({ length: maxListEntries }, (_, i) => filler + (0x10000000 + i).toString(16))
  return (full = new Set(entries))
}

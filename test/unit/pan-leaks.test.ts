/**
 * Issue 11, items 1–3: each way a card number reached a stored, logged or served string, and the
 * fix that closed it. Every PAN is generated; the scan is the PAN text policy's.
 */
import { describe, expect, it } from 'vitest'
import { caseId } from '../../functions/aws/escalation.ts'
import { freeTextSchema } from '../../functions/core/cases/index.ts'
import { maskedDigits } from '../../functions/core/masked-pan.ts'
import { findPans } from '../../functions/core/pan-text.ts'
import { compileRuleSet } from '../../functions/core/rules/compile.ts'
import { evaluateRules } from '../../functions/core/rules/evaluate.ts'
import { parseTransaction, parseTransactionJson, type Transaction } from '../../functions/core/transaction.ts'
import { parseRecord, quarantineEntry, type StreamRecord } from '../../functions/score/process-batch.ts'
import { panLikeRuns } from '../support/pan-scan.ts'
import { testKey, wireExample, withLuhnDigit } from '../support/transactions.ts'

const visa = withLuhnDigit('411111111111111')
const mastercard = withLuhnDigit('550000000000000')
const grouped = (digits: string, sep: string) => digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`)
const fullWidth = (text: string) => text.replace(/\d/g, (d) => String.fromCodePoint(0xff10 + Number(d)))
const escaped = (text: string) => text.replace(/\d/g, (d) => `\\u003${d}`)
const now = new Date('2026-11-24T10:16:00Z')

/** The entry the scorer stores for a record, as the text DynamoDB keeps. */
function storedEntry(data: string, partitionKey = 'card-1'): string {
  const record: StreamRecord = {
    position: { shardId: 'shardId-000000000000', sequenceNumber: '49590338271490256608559692538361571095921575989136588898', subSequenceNumber: 0 },
    partitionKey,
    data,
    arrivedAt: now.getTime(),
  }
  const parsed = parseRecord(record, testKey)
  if (parsed.ok) throw new Error('expected the record to be refused')
  return JSON.stringify(quarantineEntry(record, parsed.error, now))
}

describe('a refused record keeps no PAN in its quarantine entry', () => {
  it.each([
    ['grouped with spaces', grouped(visa, ' ')],
    ['grouped with dashes', grouped(mastercard, '-')],
    ['in full-width digits', fullWidth(grouped(visa, ' '))],
  ])('a PAN %s in an invalid record, its text and its partition key', (_, written) => {
    const data = JSON.stringify({ transactionId: 'tx-1', card: { pan: written }, amount: 'a lot', note: written })
    const entry = storedEntry(data, written)
    expect(panLikeRuns(entry)).toEqual([])
  })

  it('a PAN as JSON escapes in the raw record text', () => {
    const data = `{"transactionId":"tx-1","amount":-1,"note":"${escaped(grouped(visa, ' '))}"}`
    expect(findPans(data)).toContain(visa)
    expect(panLikeRuns(storedEntry(data))).toEqual([])
  })

  it('keeps the structure instead of the text: byte length, types, lengths, safe key names', () => {
    const data = JSON.stringify({ transactionId: 'tx-1', amount: 'a lot', card: { pan: grouped(visa, ' ') }, [visa]: 1 })
    const entry = JSON.parse(storedEntry(data)) as { shape: unknown; partitionKey: string }
    expect(entry.shape).toEqual({
      bytes: Buffer.byteLength(data),
      json: {
        type: 'object',
        keys: 4,
        unnamedKeys: 1,
        fields: { transactionId: { type: 'string', length: 4 }, amount: { type: 'string', length: 5 }, card: { type: 'object', keys: 1, fields: { pan: { type: 'string', length: 19 } } } },
      },
    })
    expect(entry).not.toHaveProperty('excerpt')
  })

  it('a record that is not JSON keeps its byte length only', () => {
    const data = `{"pan": ${grouped(visa, ' ')}`
    expect(JSON.parse(storedEntry(data)).shape).toEqual({ bytes: Buffer.byteLength(data) })
  })

  it('an unknown key inside card (a PAN) is not echoed by the issue', () => {
    const result = parseTransaction(wireExample({ card: { pan: visa, [grouped(visa, ' ')]: true } as never }), testKey)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(findPans(JSON.stringify(result.error.issues))).toEqual([])
    expect(result.error.issues.map((i) => i.path)).toContain('card')
  })

  it('an unknown key that is a safe name is named; the others are counted', () => {
    const result = parseTransaction(wireExample({ card: { pan: visa, cvv: '123', [visa]: 1 } as never }), testKey)
    if (result.ok) throw new Error('expected a refusal')
    expect(result.error.issues).toEqual([{ path: 'card', message: 'has unknown keys: "cvv", 1 more not shown' }])
  })

  it('a record key in a rule set (a list name) is not echoed by the issue path', () => {
    const result = compileRuleSet({ version: 1, thresholds: { review: 1, block: 2 }, lists: { [grouped(visa, '-')]: [] }, rules: [{ id: 'r', description: 'd', when: 'true', score: 1 }] })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(findPans(JSON.stringify(result.error.issues))).toEqual([])
  })
})

describe('rule evaluation errors', () => {
  it('do not echo a PAN the expression read (CEL quotes a missing key, a bad duration)', () => {
    const rules = ['features[txn.device.id] > 0', 'duration(txn.device.id) > duration("1s")'].map((when, i) => ({ id: `r${i}`, description: 'd', when, score: 1 }))
    const compiled = compileRuleSet({ version: 1, thresholds: { review: 1, block: 2 }, rules })
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
    for (const id of [grouped(visa, ' '), grouped(mastercard, '-'), fullWidth(visa)]) {
      const txn = { ...(parseTransaction(wireExample(), testKey) as { value: Transaction }).value, device: { id } }
      const hits = evaluateRules(compiled.value, txn, {})
      expect(hits.map((hit) => hit.status)).toEqual(['errored', 'errored'])
      expect(hits.flatMap((hit) => findPans(hit.error!))).toEqual([])
    }
  })
})

describe('PAN-shaped ids are refused', () => {
  it.each(['transactionId', 'accountId', 'merchant.id', 'device.id'])('a PAN in %s quarantines the record as pan_in_identifier, naming the path', (path) => {
    const written = path === 'transactionId' ? grouped(visa, '-') : grouped(visa, ' ')
    const wire = wireExample() as unknown as Record<string, Record<string, unknown>>
    const [head, leaf] = path.split('.') as [string, string | undefined]
    const txn = leaf ? { ...wire, [head]: { ...wire[head], [leaf]: written } } : { ...wire, [head]: written }
    const result = parseTransactionJson(JSON.stringify(txn), testKey)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error).toEqual({ code: 'pan_in_identifier', issues: [{ path, message: expect.any(String) }] })
    expect(findPans(JSON.stringify(result.error))).toEqual([])
  })

  it('in any notation the policy knows: full-width, JSON escapes, unbroken', () => {
    for (const text of [`{"merchant":{"id":"${escaped(visa)}"}}`, JSON.stringify({ merchant: { id: fullWidth(visa) } }), JSON.stringify({ merchant: { id: `m-${visa}` } })]) {
      const result = parseTransactionJson(JSON.stringify({ ...wireExample(), merchant: JSON.parse(text).merchant }), testKey)
      expect(result.ok ? 'accepted' : result.error.code).toBe('pan_in_identifier')
    }
  })

  it('ids with epoch milliseconds or other numbers are still accepted', () => {
    for (const transactionId of ['tx-1764786943123-7', 'tx-e2e-1764786943123-bad-pan', '550e8400-e29b-41d4-a716-446655440000']) {
      expect(parseTransaction(wireExample({ transactionId }), testKey).ok).toBe(true)
    }
  })
})

describe('case ids', () => {
  it('carry none of the transaction id, and stay the same for the same id', () => {
    const id = caseId('tx-2026-11-24-000123')
    expect(id).toMatch(/^case-[a-p]{32}$/)
    expect(id).toBe(caseId('tx-2026-11-24-000123'))
    expect(id).not.toBe(caseId('tx-2026-11-24-000124'))
    expect(id).not.toContain('000123')
  })
})

describe('short PANs keep fewer digits (item 3)', () => {
  it('a 12- or 13-digit PAN keeps its last four only; 15 digits and more keep BIN and last four', () => {
    for (const length of [12, 13, 14]) {
      const pan = withLuhnDigit('5'.padEnd(length - 1, '3'))
      expect(maskedDigits(pan)).toEqual({ last4: pan.slice(-4) })
      const result = parseTransaction(wireExample({ card: { pan } }), testKey)
      expect(result.ok && result.value.card.bin).toBeUndefined()
    }
    for (const length of [15, 16, 19]) {
      const pan = withLuhnDigit('4'.padEnd(length - 1, '2'))
      expect(maskedDigits(pan)).toEqual({ bin: pan.slice(0, 6), last4: pan.slice(-4) })
    }
  })

  it('whatever is kept, at least five digits stay hidden: 10,000 candidates or more once Luhn fixes one', () => {
    for (let length = 12; length <= 19; length++) {
      const kept = Object.values(maskedDigits('4'.repeat(length))).join('').length
      expect(length - kept).toBeGreaterThanOrEqual(5)
    }
  })
})

describe('case notes', () => {
  it('refuse a PAN in full-width digits or JSON-escaped, as the policy finds it', () => {
    expect(freeTextSchema.safeParse(`card ${fullWidth(grouped(visa, ' '))}`).success).toBe(false)
    expect(freeTextSchema.safeParse(`card ${grouped(visa, '.')}`).success).toBe(false)
    expect(freeTextSchema.safeParse('called back on 2026-11-24, amount 12.50').success).toBe(true)
  })
})

/**
 * What the PAN text policy (functions/core/pan-text.ts) costs on the strings it guards (issue 11,
 * item 1): an issue message, a case note, a log correlation key, a partition key, with and without
 * digits, and the shape that replaced a quarantined record's text. Microseconds per call, the
 * median of 7 runs of 20,000 calls.
 */
import { redactPans } from '../functions/core/pan-text.ts'
import { recordShape } from '../functions/core/record-shape.ts'
import { median, saveResults } from './results.ts'

const pan = '4' + '1'.repeat(14) + '1' // Luhn-valid: 4 + fifteen 1s
const grouped = pan.replace(/(\d{4})(?=\d)/g, '$1 ')

const strings: Record<string, string> = {
  'issue message without digits (45 chars)': 'must be an ISO currency code, like EUR or USD',
  'issue message with numbers (76 chars)': 'must be 1–128 characters of A-Z a-z 0-9 _ . : - (got 129) at line 3, col 7',
  'transaction id with an epoch (28 chars)': 'tx-e2e-1764786943123-bad-pan',
  'note with dates and amounts (2,000 chars)': 'called back on 2026-11-24 at 10:15, amount 12.50 EUR, ref 884-221. '.repeat(30).slice(0, 2000),
  'note with a grouped PAN (80 chars)': `customer read out ${grouped} on the phone; please block`,
  'full-width PAN (16 chars)': pan.replace(/\d/g, (d) => String.fromCodePoint(0xff10 + Number(d))),
}

function microseconds(run: () => unknown, calls = 20_000): number {
  for (let i = 0; i < 1_000; i++) run()
  const samples: number[] = []
  for (let r = 0; r < 7; r++) {
    const start = performance.now()
    for (let i = 0; i < calls; i++) run()
    samples.push(((performance.now() - start) * 1000) / calls)
  }
  return Math.round(median(samples) * 100) / 100
}

export async function panTextBench(): Promise<void> {
  const redact: Record<string, number> = {}
  for (const [name, text] of Object.entries(strings)) redact[name] = microseconds(() => redactPans(text))
  const record = JSON.stringify({ transactionId: 'tx-1', occurredAt: '2026-11-24T10:15:30Z', amount: 'a lot', currency: 'EUR', card: { pan: grouped }, merchant: { id: 'm-7' }, channel: 'ecommerce' })
  const huge = JSON.stringify('x'.repeat(1_000_000))
  const shape = { [`invalid transaction (${record.length} bytes)`]: microseconds(() => recordShape(record)), 'a 1 MB string': microseconds(() => recordShape(huge), 20) }
  const figures = { 'redactPans (µs per call)': redact, 'recordShape (µs per call)': shape }
  console.log(JSON.stringify(figures, null, 2))
  console.log(`saved ${await saveResults('pan-text', figures)}`)
}

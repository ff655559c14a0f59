import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { HistoricalLabel } from '../../../functions/core/labels/label.ts'
import { compileRuleSet } from '../../../functions/core/rules/compile.ts'
import { collectRows, UndatedLabelError, type Collected } from '../../../cli/train/collect.ts'
import { historyStart, trainingHistory, trainingRuleSet } from '../../support/train-history.ts'
import { testKey } from '../../support/transactions.ts'

const dayMs = 86_400_000
const compiled = compileRuleSet(trainingRuleSet)
if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
const ruleSet = compiled.value

async function* each(lines: string[]) {
  yield* lines
}

const collect = (lines: string[], labels: HistoricalLabel[], range: { fromDay: number; toDay: number; asOfDay?: number }, labelDelayMs?: number) =>
  collectRows({
    ruleSet,
    keyring: testKey,
    lines: each(lines),
    labels,
    ...(labelDelayMs !== undefined ? { labelDelayMs } : {}),
    from: historyStart + range.fromDay * dayMs,
    to: historyStart + range.toDay * dayMs,
    ...(range.asOfDay !== undefined ? { asOf: historyStart + range.asOfDay * dayMs } : {}),
    startedAt: historyStart + 365 * dayMs,
  })

/** Everything a model learns from: every input, target, time, card and when each fraud was known. */
const learned = ({ rows }: Collected) => ({
  names: rows.names,
  columns: rows.columns.map((c) => Array.from(c.subarray(0, rows.length))),
  target: Array.from(rows.target.subarray(0, rows.length)),
  knownAt: Array.from(rows.knownAt.subarray(0, rows.length)),
  time: Array.from(rows.time.subarray(0, rows.length)),
  card: Array.from(rows.card.subarray(0, rows.length)),
})

describe('training rows (cli/train/collect.ts)', () => {
  it('no leakage: rows and targets never depend on a label reported after the cutoff, whatever it says', async () => {
    const history = trainingHistory({ days: 12, perDay: 30, seed: 11 })
    const ids = history.lines.map((line) => (JSON.parse(line) as { transactionId: string }).transactionId)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.record({ of: fc.nat(), fraud: fc.boolean(), hoursAfter: fc.integer({ min: 1, max: 400 }) }), { minLength: 1, maxLength: 30 }),
        async (fromDay, length, slack, late) => {
          const range = { fromDay, toDay: fromDay + length, asOfDay: fromDay + length + slack }
          const cutoff = historyStart + range.asOfDay * dayMs
          const after: HistoricalLabel[] = late.map((l) => ({ transactionId: ids[l.of % ids.length]!, fraud: l.fraud, reportedAt: new Date(cutoff + l.hoursAfter * 3_600_000).toISOString(), source: 'chargeback' }))
          const base = await collect(history.lines, history.labels, range)
          const more = await collect(history.lines, [...history.labels, ...after].sort((a, b) => (a.transactionId < b.transactionId ? -1 : 1)), range)
          expect(learned(more)).toEqual(learned(base))
          expect(more.labelsAfterCutoff).toBeGreaterThanOrEqual(base.labelsAfterCutoff)
        },
      ),
      { numRuns: 20 },
    )
  })

  it('takes as targets the labels known by the cutoff: a later cutoff knows more frauds, and a flip reported before it counts', async () => {
    const history = trainingHistory({ days: 12, perDay: 30, seed: 12, delayDays: 3 })
    const early = await collect(history.lines, history.labels, { fromDay: 2, toDay: 8, asOfDay: 8 })
    const late = await collect(history.lines, history.labels, { fromDay: 2, toDay: 8, asOfDay: 12 })
    const frauds = (c: Collected) => c.rows.target.subarray(0, c.rows.length).reduce((s, t) => s + t, 0)
    expect(frauds(early)).toBeGreaterThan(0)
    expect(frauds(late)).toBeGreaterThan(frauds(early))
    expect(early.labelsAfterCutoff).toBeGreaterThan(0)
    // Each fraud counts from its report (3 days after its transaction), never before.
    for (let i = 0; i < late.rows.length; i++) if (late.rows.target[i]) expect(late.rows.knownAt[i]).toBe(late.rows.time[i]! + 3 * dayMs)

    // A fraud of day 2 to 7 (ids are tr-<day>-<k>), reported legitimate an hour after its chargeback: the newer report stands.
    const flipped = history.labels.find((l) => l.fraud && Number(l.transactionId.split('-')[1]) >= 2 && Number(l.transactionId.split('-')[1]) < 8)!
    const flip: HistoricalLabel = { transactionId: flipped.transactionId, fraud: false, reportedAt: new Date(Date.parse(flipped.reportedAt!) + 3_600_000).toISOString(), source: 'issuer' }
    expect(frauds(await collect(history.lines, [...history.labels, flip], { fromDay: 2, toDay: 8, asOfDay: 12 }))).toBe(frauds(late) - 1)
  })

  it('dates undated labels by the label delay, and refuses them without one', async () => {
    const history = trainingHistory({ days: 6, perDay: 20, seed: 13 })
    const undated = history.labels.map(({ transactionId, fraud }) => ({ transactionId, fraud }))
    await expect(collect(history.lines, undated, { fromDay: 0, toDay: 4 })).rejects.toBeInstanceOf(UndatedLabelError)
    const dated = await collect(history.lines, undated, { fromDay: 0, toDay: 4 }, 2 * dayMs)
    const reported = await collect(history.lines, history.labels, { fromDay: 0, toDay: 4 })
    expect(learned(dated).target).toEqual(learned(reported).target)
  })
})

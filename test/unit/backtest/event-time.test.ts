/**
 * Replays obey the stream's clock (issue 11 item 6): a history records no arrival, so the backtest
 * refuses what the stream scorer would have refused, by the same bounds (core/event-time.ts).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runBacktest, type Reject } from '../../../cli/backtest/run.ts'
import type { Decision } from '../../../functions/core/decision.ts'
import { generateTraffic } from '../../../local/traffic/index.ts'
import { compiled, defaultRuleSet, history } from '../../support/scenario.ts'
import { testKey } from '../../support/transactions.ts'

const day = 86_400_000
/** How far back the default rules read (a 28-day window lagged 7): older lines are refused. */
const largestWindow = compiled(defaultRuleSet()).plan.largestWindowMs
const startedAt = Date.parse('2026-11-25T00:00:00Z')

async function backtest(lines: readonly string[], reorderCapacity = 100) {
  const decisions: Decision[] = []
  const rejects: Reject[] = []
  async function* source() {
    yield* lines
  }
  const report = await runBacktest({
    ruleSet: compiled(defaultRuleSet()),
    keyring: testKey,
    lines: source(),
    reorderCapacity,
    dedupeHorizonMs: day,
    onDecision: (d) => void decisions.push(d),
    onReject: (r) => void rejects.push(r),
    startedAt,
  })
  return { report, decisions, rejects }
}

// Card testing: four small amounts at four merchants within minutes; the fourth is blocked.
const burst = history('2026-11-24T10:00:00Z', [0, 1, 2, 3].map((at) => ({ at, amount: 100, merchant: { id: `m-${at}` } }))).map((t) => JSON.stringify(t))
const redated = (line: string, id: string, occurredAt: string) => JSON.stringify({ ...JSON.parse(line), transactionId: id, occurredAt })

describe('backtest event-time bounds', () => {
  it('refuses a line dated after the replay started (plus the skew), at its line number, and the burst still blocks', async () => {
    // A reorder buffer holds it back to the end; without one (a history in order) it is scored first and blinds the card.
    const { report, decisions, rejects } = await backtest([redated(burst[0]!, 'future', '9999-12-31T23:59:59Z'), ...burst], 0)
    expect(rejects).toEqual([
      { line: 1, code: 'event_time_skew', issues: [{ path: 'occurredAt', message: 'must not be after 2026-11-25T00:01:00.000Z: the start of the replay plus the allowed skew' }] },
    ])
    expect(decisions.map((d) => d.transactionId)).toEqual(['tx-0', 'tx-1', 'tx-2', 'tx-3'])
    expect(decisions.at(-1)?.outcome).toBe('block')
    expect(report).toMatchObject({ lines: 5, rejected: 1 })
  })

  it('refuses a line older than the largest window before the newest line read, which it would score against empty windows', async () => {
    const old = redated(burst[3]!, 'old', new Date(Date.parse('2026-11-24T10:02:00Z') - largestWindow - 1).toISOString())
    const { decisions, rejects } = await backtest([...burst.slice(0, 3), old])
    expect(rejects).toEqual([
      { line: 4, code: 'event_time_skew', issues: [{ path: 'occurredAt', message: 'must not be before 2026-10-20T10:02:00.000Z: the newest event read before it minus the maximum age' }] },
    ])
    expect(decisions.map((d) => d.transactionId)).toEqual(['tx-0', 'tx-1', 'tx-2'])
  })

  it('replays an ordinary history, out of order within the buffer, without refusing anything', async () => {
    const { rejects, decisions } = await backtest([burst[2]!, burst[0]!, burst[3]!, burst[1]!])
    expect(rejects).toEqual([])
    expect(decisions.at(-1)).toMatchObject({ transactionId: 'tx-3', outcome: 'block' })
  })

  it('property: absurd event times anywhere after the first line leave every decision as if they had never been sent', async () => {
    const start = new Date('2026-11-20T08:00:00Z')
    const absurd = fc.oneof(
      fc.date({ min: new Date(startedAt + 60_001), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
      fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date(start.getTime() - largestWindow - 1), noInvalidDate: true }),
    )
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10_000 }), fc.array(fc.tuple(fc.nat(), absurd), { maxLength: 8 }), fc.integer({ min: 0, max: 8 }), async (seed, injected, capacity) => {
        const lines: string[] = []
        for (const event of generateTraffic({ seed, start, count: 40, cards: 4, ratePerSecond: 0.05, fraudShare: 0.3, malformedShare: 0, duplicateShare: 0 })) lines.push(event.line)
        const sent = [...lines]
        // Each a copy of a real line (its card, account, device, IP, merchant) at an absurd time, after the first line.
        injected.forEach(([at, date], i) => sent.splice(1 + (at % sent.length), 0, redated(lines[at % lines.length]!, `absurd-${i}`, date.toISOString())))

        const clean = await backtest(lines, capacity)
        const dirty = await backtest(sent, capacity)
        expect(dirty.decisions).toEqual(clean.decisions)
        expect(dirty.rejects.map((r) => r.code)).toEqual(injected.map(() => 'event_time_skew'))
      }),
      { numRuns: 100 },
    )
  })
})

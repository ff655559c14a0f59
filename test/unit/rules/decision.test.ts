import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decideOutcome, type RuleHit } from '../../../functions/core/decision.ts'

const thresholds = { review: 50, block: 90 }
const fired = (over: Partial<RuleHit>): RuleHit => ({ id: 'r', mode: 'active', status: 'fired', score: 0, values: {}, ...over })

describe('decideOutcome', () => {
  it.each([
    ['no hits approve', [], 'approve', 0],
    ['score at the review threshold reviews', [fired({ score: 50 })], 'review', 50],
    ['scores add up to block', [fired({ score: 40 }), fired({ score: 50 })], 'block', 90],
    ['a block action blocks whatever the score', [fired({ action: 'block' })], 'block', 0],
    ['a review action reviews', [fired({ action: 'review', score: 10 })], 'review', 10],
    ['block beats review', [fired({ action: 'review' }), fired({ action: 'block' })], 'block', 0],
    ['a review action does not cap a blocking score', [fired({ action: 'review', score: 95 })], 'block', 95],
    ['allow wins over a block action and a blocking score', [fired({ action: 'block', score: 200 }), fired({ action: 'allow' })], 'approve', 200],
    ['shadow rules do not count', [fired({ mode: 'shadow', score: 500, action: 'block' })], 'approve', 0],
    ['errored rules do not count', [fired({ status: 'errored', score: 500, action: 'block' })], 'approve', 0],
    ['a negative score lowers the total', [fired({ score: 60 }), fired({ score: -20 })], 'approve', 40],
  ] as const)('%s', (_name, hits, outcome, score) => {
    expect(decideOutcome(hits as readonly RuleHit[], thresholds)).toEqual({ outcome, score })
  })

  const hit = fc.record({
    id: fc.constantFrom('a', 'b', 'c'),
    mode: fc.constantFrom('active', 'shadow'),
    status: fc.constantFrom('fired', 'errored'),
    score: fc.integer({ min: -50, max: 150 }),
    action: fc.option(fc.constantFrom('allow', 'review', 'block'), { nil: undefined }),
    values: fc.constant({}),
  }) as fc.Arbitrary<RuleHit>

  it('shadow and errored hits never change the outcome or the score', () => {
    fc.assert(
      fc.property(fc.array(hit), fc.array(hit), (hits, noise) => {
        const inert = noise.map((h) => (h.mode === 'shadow' ? h : { ...h, status: 'errored' as const }))
        expect(decideOutcome([...hits, ...inert], thresholds)).toEqual(decideOutcome(hits, thresholds))
      }),
    )
  })

  it('an active allow always approves; otherwise a block action always blocks', () => {
    fc.assert(
      fc.property(fc.array(hit), (hits) => {
        const active = hits.filter((h) => h.mode === 'active' && h.status === 'fired')
        const { outcome } = decideOutcome(hits, thresholds)
        if (active.some((h) => h.action === 'allow')) expect(outcome).toBe('approve')
        else if (active.some((h) => h.action === 'block')) expect(outcome).toBe('block')
      }),
    )
  })
})

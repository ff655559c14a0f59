/**
 * A tokenization key change-over on the real scorer path (kinesalite, dynalite, real SDK clients):
 * a card's history under the old key carries over to its new token, exactly once, retries included.
 */
import { describe, expect, it } from 'vitest'
import { primaryToken, singleKey, type Keyring } from '../../functions/core/keyring.ts'
import type { ScorerDeps } from '../../functions/score/process-batch.ts'
import { useEmulators } from '../support/emulators.ts'
import { firedIds, history } from '../support/scenario.ts'
import { scorerFixture } from '../support/scorer.ts'
import { testKeySecret } from '../support/transactions.ts'

const aws = useEmulators()

const changeOver: Keyring = { primary: 'k2', keys: { k1: testKeySecret, k2: 'the-new-tokenization-key' } }
const pan = '4111111111111111'
const oldCard = `card#${primaryToken(pan, singleKey(testKeySecret))}`
const newCard = `card#${primaryToken(pan, changeOver)}`

describe('a key change-over on the scorer', () => {
  it("a card first seen under the new key starts from its history under the old one, and counts each record once", async () => {
    const fixture = await scorerFixture(aws)
    const withNewKey: ScorerDeps = { ...fixture.deps, keyring: changeOver }
    // Six transactions of one card within ten minutes: the sixth has five before it (velocity-10m).
    const lines = history('2026-11-24T11:50:00Z', [0, 1, 2, 3, 4, 5].map((at) => ({ at }))).map((t) => JSON.stringify(t))

    await fixture.put(lines.slice(0, 3))
    const [before] = await fixture.poller.drain(100)
    expect((await fixture.invoke(before!)).outcome.decided).toHaveLength(3)

    await fixture.put(lines.slice(3))
    const [after] = await fixture.poller.drain(100)
    const { outcome } = await fixture.invoke(after!, withNewKey)
    expect(outcome.decided).toHaveLength(3)
    expect(firedIds(outcome.decided[2])).toContain('velocity-10m')
    // Written as a new item (not a version conflict with the old one, which would drop the history).
    expect(outcome.conflicts).toBe(0)

    const states = await fixture.entityStates()
    expect([states.has(oldCard), states.has(newCard)]).toEqual([true, true])
    // The redelivered batch (under either key) counts nothing again, on the new item or the old.
    await fixture.invoke(after!, withNewKey)
    await fixture.invoke(before!, withNewKey)
    expect(await fixture.entityStates()).toEqual(states)
  })

  it('a card with history under its new token keeps it, whatever its old token holds', async () => {
    const fixture = await scorerFixture(aws)
    const withNewKey: ScorerDeps = { ...fixture.deps, keyring: changeOver }
    const lines = history('2026-11-24T11:50:00Z', [0, 1, 2, 3, 4, 5].map((at) => ({ at }))).map((t) => JSON.stringify(t))
    const batch = async (from: number, to: number, deps: ScorerDeps) => {
      await fixture.put(lines.slice(from, to))
      const [event] = await fixture.poller.drain(100)
      return (await fixture.invoke(event!, deps)).outcome
    }
    await batch(0, 1, withNewKey) // the card's first record: under the new token
    await batch(1, 2, fixture.deps) // a straggler scored under the old key alone
    const outcome = await batch(2, 6, withNewKey)
    expect(outcome.decided).toHaveLength(4)
    // Five before the sixth, but one of them only under the old token: the new token saw four.
    expect(firedIds(outcome.decided.at(-1))).not.toContain('velocity-10m')
  })
})

import fc from 'fast-check'
import { describe, it } from 'vitest'
import { useEmulators } from '../support/emulators.ts'
import { hasMotoServer, startMoto } from '../support/moto.ts'
import { deliverWith, deliveryStep, expectGroundTruth, scorerFixture, trafficLines } from '../support/scorer.ts'

/**
 * The exactly-once proofs once more on moto_server, a second implementation of DynamoDB's
 * conditional writes and Kinesis: where it is installed; skipped cleanly elsewhere.
 */
describe.skipIf(!hasMotoServer)('scorer on moto_server (optional tier)', () => {
  const aws = useEmulators({}, startMoto)

  it('any interleaving of crashes, throttling, redeliveries, replays and concurrent consumers ends at the ground truth', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000 }), fc.array(deliveryStep, { minLength: 1, maxLength: 8 }), async (seed, steps) => {
        const fixture = await scorerFixture(aws)
        const lines = trafficLines(seed, 20, { malformedShare: 0.05, duplicateShare: 0.15 })
        await fixture.put(lines)
        await deliverWith(fixture, steps)
        await expectGroundTruth(fixture, lines)
      }),
      { numRuns: 4 },
    )
  })
})

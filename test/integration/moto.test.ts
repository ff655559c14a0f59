import { describe, it } from 'vitest'
import { useEmulators } from '../support/emulators.ts'
import { hasMotoServer, startMoto } from '../support/moto.ts'
import { checkInterleavings } from '../support/scorer.ts'

/**
 * The exactly-once proofs once more on moto_server, a second implementation of DynamoDB's
 * conditional writes and Kinesis: where it is installed; skipped cleanly elsewhere.
 */
describe.skipIf(!hasMotoServer)('scorer on moto_server (optional tier)', () => {
  const aws = useEmulators({}, startMoto)

  it('any interleaving of crashes, throttling, redeliveries, replays and concurrent consumers ends at the ground truth', async () => {
    await checkInterleavings(aws, { numRuns: 4, records: 20, maxSteps: 8 })
  })
})

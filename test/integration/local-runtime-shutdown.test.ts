/**
 * Stopping the local runtime (Ctrl-C on `npm start`) while it is busy: analyst API requests open,
 * transactions being put and scored, cases being opened by the workflow. Whatever was in flight
 * ends, one way or another, without an unhandled rejection (which would crash `npm start` instead
 * of letting it say "stopped"), and the runtime's ports are closed afterwards. Requests cut short
 * on every endpoint stand for clients that go away, or whose connection the stop closes mid-body.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { afterAll, describe, expect, it } from 'vitest'
import { localCredentials, localRegion } from '../../functions/aws/clients.ts'
import { createKinesisClient } from '../../functions/aws/kinesis-client.ts'
import { startLocalRuntime } from '../../local/runtime.ts'
import { wireExample, withLuhnDigit } from '../support/transactions.ts'

const stateDir = mkdtempSync(join(tmpdir(), 'vigil-shutdown-'))
afterAll(() => rmSync(stateDir, { recursive: true, force: true }))

describe('stopping the local runtime mid-flight', () => {
  it('ends every request, put, invocation and execution in flight without an unhandled rejection or an uncaught exception', async () => {
    const unhandled: unknown[] = []
    const onRejection = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onRejection)
    // Watches without handling: an uncaught exception still fails the run as it would crash `npm start`.
    process.on('uncaughtExceptionMonitor', onRejection)
    try {
      const runtime = await startLocalRuntime({
        dynamodbPort: 0,
        kinesisPort: 0,
        apiPort: 0,
        stepFunctionsPort: 0,
        stateDir,
        traffic: true,
        rate: 100,
        summaryIntervalMs: 50,
        log: () => {},
      })
      const kinesis = createKinesisClient({ endpoint: runtime.endpoints.kinesis, region: localRegion, credentials: { ...localCredentials } })
      // Card-testing bursts: blocks, so the workflow opens cases and lists cards while we stop.
      const burst = (n: number) => {
        const pan = withLuhnDigit(`4${String(1e14 + n).slice(-14)}`)
        return Array.from({ length: 12 }, (_, i) => {
          const txn = wireExample({ transactionId: `stop-${n}-${i}`, amount: 100 + i, occurredAt: new Date().toISOString(), card: { pan } })
          return { Data: Buffer.from(JSON.stringify(txn)), PartitionKey: `card-${n}` }
        })
      }
      // The callers' own calls may fail once the servers are gone; that is theirs to handle, and they
      // do from the start, so a call refused while the runtime stops is not taken for the runtime's.
      const work: Array<Promise<unknown>> = []
      const track = (call: Promise<unknown>) => work.push(call.catch((error: unknown) => error))
      for (let n = 0; n < 20; n++) {
        track(kinesis.send(new PutRecordsCommand({ StreamName: runtime.names.stream, Records: burst(n) })))
        for (const path of ['/cases', '/cases?status=open', '/decisions/stop-0-0']) {
          track(fetch(`${runtime.endpoints.api}${path}`, { headers: { authorization: `Bearer ${runtime.token}` } }).then((r) => r.text()))
        }
      }
      // Let scoring and case workflows get going, then stop with requests and puts still open.
      await sleep(1_500)
      // And requests cut short: headers and half a body on every endpoint, the rest never sent.
      const halfSent = await Promise.all(Object.values(runtime.endpoints).map((endpoint) => halfRequest(endpoint)))
      for (let n = 20; n < 40; n++) {
        track(kinesis.send(new PutRecordsCommand({ StreamName: runtime.names.stream, Records: burst(n) })))
        track(fetch(`${runtime.endpoints.api}/cases`, { headers: { authorization: `Bearer ${runtime.token}` } }).then((r) => r.text()))
      }
      await runtime.stop()
      for (const socket of halfSent) socket.destroy()
      await Promise.all(work)
      kinesis.destroy()
      // Rejections surface on the microtask queue after the promise settles: give them a few turns.
      for (let i = 0; i < 10; i++) await sleep(20)
      expect(unhandled).toEqual([])
      await expect(fetch(`${runtime.endpoints.api}/cases`)).rejects.toThrow()
    } finally {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtExceptionMonitor', onRejection)
    }
  }, 120_000)
})

/** A POST whose headers promise a body of which only half arrives: a client stalled mid-request. */
async function halfRequest(endpoint: string) {
  const { hostname, port } = new URL(endpoint)
  const socket = connect(Number(port), hostname)
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`POST / HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/x-amz-json-1.0\r\nx-amz-target: AWSStepFunctions.StartExecution\r\ncontent-length: 100\r\n\r\n{"stateMachineArn":`)
  await sleep(50)
  return socket
}

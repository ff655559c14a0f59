import { PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { Logger } from '@aws-lambda-powertools/logger'
import { readFile } from 'node:fs/promises'
import { createDynamoDbClient, localCredentials, localRegion } from '../functions/aws/clients.ts'
import { createKinesisClient } from '../functions/aws/kinesis-client.ts'
import { CapacityMeter } from '../functions/aws/capacity-meter.ts'
import { publishRuleSet } from '../functions/aws/rule-set-store.ts'
import type { RuleSetInput } from '../functions/core/rules/rule-set.ts'
import { scorerDependencies } from '../functions/score/dependencies.ts'
import { scoreKinesisEvent } from '../functions/score/score-event.ts'
import { createStream, createTables, startEmulators, tableEnvironment } from '../local/emulators.ts'
import { generateTraffic } from '../local/traffic/index.ts'
import { KinesisPoller } from '../test/support/kinesis-poller.ts'
import { fmt, rate, saveResults } from './results.ts'

const records = 20_000
const cards = 500

/** The reference stream workload: hot cards (500 cards, so a batch repeats cards), no bad lines. */
function workload(): string[] {
  const lines: string[] = []
  for (const event of generateTraffic({ seed: 11, start: new Date('2026-11-01T00:00:00Z'), cards, malformedShare: 0, duplicateShare: 0 })) {
    if (event.kind !== 'valid') continue
    lines.push(event.line)
    if (lines.length === records) break
  }
  return lines
}

async function run(batchSize: number, lines: string[], ruleSet: RuleSetInput) {
  const emulators = await startEmulators()
  const config = (endpoint: string) => ({ endpoint, region: localRegion, credentials: { ...localCredentials } })
  const dynamo = createDynamoDbClient(config(emulators.dynamoEndpoint))
  const kinesis = createKinesisClient(config(emulators.kinesisEndpoint))
  try {
    const names = { decisions: 'decisions', entityState: 'entities', rules: 'rules', quarantine: 'quarantine' }
    await createTables(dynamo, names)
    await createStream(kinesis, 'transactions', 1)
    await publishRuleSet(dynamo, names.rules, ruleSet, new Date())
    for (let i = 0; i < lines.length; i += 500) {
      await kinesis.send(new PutRecordsCommand({ StreamName: 'transactions', Records: lines.slice(i, i + 500).map((l) => ({ Data: Buffer.from(l), PartitionKey: 'p' })) }))
    }
    // A recorded fortnight, as if it arrived when its newest event happened: the scorer refuses event
    // times far from arrival (core/event-time.ts), and kinesalite's arrival is today.
    const arrival = Math.max(...lines.map((line) => Date.parse((JSON.parse(line) as { occurredAt: string }).occurredAt))) / 1000
    const events = (await new KinesisPoller({ client: kinesis, streamName: 'transactions' }).drain(batchSize)).map((event) => ({
      Records: event.Records.map((record) => ({ ...record, kinesis: { ...record.kinesis, approximateArrivalTimestamp: arrival } })),
    }))
    const meter = new CapacityMeter()
    const env = { ...tableEnvironment(names), VIGIL_TOKENIZATION_KEY: 'bench-tokenization-key' }
    const deps = scorerDependencies(env, new Logger({ logLevel: 'SILENT' }), { dynamo, meter })
    const started = performance.now()
    let decided = 0
    for (const event of events) {
      const { outcome, response } = await scoreKinesisEvent(event, deps)
      if (response.batchItemFailures.length > 0) throw new Error(`batch failed: ${String(outcome.errors[0])}`)
      decided += outcome.decided.length
    }
    const ms = performance.now() - started
    const perTransaction = (units: number) => units / decided
    return {
      batchSize,
      batches: events.length,
      records: decided,
      recordsPerSecond: rate(decided, ms),
      msPerBatch: Math.round((ms / events.length) * 10) / 10,
      roundTripsPerBatch: (meter.readCalls + meter.writeCalls) / events.length,
      readCallsPerBatch: meter.readCalls / events.length,
      writeCallsPerBatch: meter.writeCalls / events.length,
      readUnitsPerTransaction: perTransaction(meter.readUnits),
      writeUnitsPerTransaction: perTransaction(meter.writeUnits),
      writeUnitsPerTransactionBy: Object.fromEntries([...meter.writeUnitsBy].map(([label, units]) => [label, perTransaction(units)])),
      unitsEstimated: meter.estimated,
    }
  } finally {
    dynamo.destroy()
    kinesis.destroy()
    await emulators.stop()
  }
}

export async function streamBench(): Promise<Record<string, unknown>> {
  const ruleSet = JSON.parse(await readFile(new URL('../rules/default.json', import.meta.url), 'utf8')) as RuleSetInput
  const lines = workload()
  const runs = [await run(100, lines, ruleSet), await run(1_000, lines, ruleSet)]
  const tracked = 3
  const figures = {
    workload: `${fmt(records)} records, ${cards} cards (hot: a batch repeats cards), rules/default.json tracking card, account and ip`,
    measures: 'the scorer handler (decode, BatchGetItem reads, decide, conditional writes) against dynalite and kinesalite in this process; units from ReturnConsumedCapacity; ms per batch includes dynalite serving the calls on the same thread',
    runs,
    targets: { perRecordReads: 'none: reads grouped into BatchGetItem calls of up to 100 keys', writeUnitsPerTransaction: `≤ 1 + ${tracked} entity types = ${1 + tracked}` },
  }
  const path = await saveResults('stream', figures)
  console.log(`\nstream scoring through the handler, ${figures.workload}`)
  console.log('  batch  records/s  round trips/batch (reads + writes)  RCU/txn  WCU/txn  WCU/txn by item')
  for (const r of runs) {
    const by = Object.entries(r.writeUnitsPerTransactionBy).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')
    console.log(
      `  ${String(r.batchSize).padStart(5)}  ${fmt(r.recordsPerSecond).padStart(9)}  ${r.roundTripsPerBatch.toFixed(1).padStart(8)} (${r.readCallsPerBatch.toFixed(1)} + ${r.writeCallsPerBatch.toFixed(1)})` +
        `  ${r.readUnitsPerTransaction.toFixed(2).padStart(22)}  ${r.writeUnitsPerTransaction.toFixed(2).padStart(7)}  ${by}`,
    )
  }
  console.log(`  target: WCU/txn ≤ ${1 + tracked}; reads only in full BatchGetItem calls\n  saved               ${path}`)
  return figures
}

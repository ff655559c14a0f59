/**
 * POST /labels on real parts: the scorer's tables with scored transactions (decisions to label),
 * the labels table and stream, the case API's adapters from its environment, and the label
 * applier, which tests run on what the API put on the stream.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import type { KinesisStreamEvent } from 'aws-lambda'
import { expect } from 'vitest'
import { applyLabelEvent } from '../../functions/apply-labels/apply-event.ts'
import { labelApplierDependencies } from '../../functions/apply-labels/dependencies.ts'
import type { CaseApiDeps } from '../../functions/case-api/app.ts'
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { caseApiDependencies } from '../../functions/case-api/dependencies.ts'
import type { Label } from '../../functions/core/labels/label.ts'
import { createStream, createTables, tableEnvironment } from '../../local/emulators.ts'
import { uniqueName, type EmulatorContext } from './emulators.ts'
import { KinesisPoller } from './kinesis-poller.ts'
import { history } from './scenario.ts'
import { fixedNow, scorerFixture } from './scorer.ts'
import { withLuhnDigit } from './transactions.ts'

/** Transactions `tx-0` … `tx-<count-1>`, a minute apart before `fixedNow`, each on its own card. */
export const scoredLines = (count: number): string[] =>
  history(
    new Date(fixedNow.getTime() - 86_400_000).toISOString(),
    Array.from({ length: count }, (_, i) => ({ at: i, card: { pan: withLuhnDigit(`4111112222${String(i).padStart(5, '0')}`) } })),
  ).map((txn) => JSON.stringify(txn))

export async function labelsApiFixture(aws: EmulatorContext, options: { scored?: number; stream?: 'create' | 'missing' } = {}) {
  const scorer = await scorerFixture(aws)
  const names = { ...scorer.names, cases: uniqueName('cases'), labels: uniqueName('labels') }
  const labelStream = uniqueName('vigil-labels')
  await createTables(aws.dynamo, { cases: names.cases, labels: names.labels })
  if (options.stream !== 'missing') await createStream(aws.kinesis, labelStream, 1)
  const lines = scoredLines(options.scored ?? 4)
  await scorer.put(lines)
  for (const event of await scorer.poller.drain(100)) expect((await scorer.invoke(event)).response.batchItemFailures).toEqual([])

  const env = { ...tableEnvironment(names), [labelStreamEnvVar]: labelStream }
  const errors: unknown[] = []
  let now = fixedNow.getTime()
  const deps: CaseApiDeps = {
    ...caseApiDependencies(env, { dynamo: aws.dynamo, kinesis: aws.kinesis, workflow: { resume: async () => 'resumed' }, now: () => now }),
    onError: (error) => errors.push(error),
  }
  const applier = { ...labelApplierDependencies(env, new Logger({ logLevel: 'SILENT' }), { dynamo: aws.dynamo }), now: () => new Date(now) }
  const poller = new KinesisPoller({ client: aws.kinesis, streamName: labelStream })
  let events: KinesisStreamEvent[] = []

  return {
    names,
    env,
    deps,
    errors,
    labelStream,
    setNow: (at: number) => (now = at),
    /** The records put since the last call, as label and partition key, in stream order. */
    async newRecords(): Promise<Array<{ label: Label; partitionKey: string }>> {
      events = await poller.drain(1_000)
      return events.flatMap((event) => event.Records.map((r) => ({ label: JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as Label, partitionKey: r.kinesis.partitionKey })))
    },
    /** Runs the label applier on the records `newRecords` returned last. */
    async apply(): Promise<void> {
      for (const event of events) expect((await applyLabelEvent(event, applier)).response.batchItemFailures).toEqual([])
    },
  }
}

export type LabelsApiFixture = Awaited<ReturnType<typeof labelsApiFixture>>

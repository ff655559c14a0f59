/** The label applier on the scorer fixture's tables, with its own labels table and stream (kinesalite, dynalite). */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { Logger } from '@aws-lambda-powertools/logger'
import { expect } from 'vitest'
import { labelApplierDependencies } from '../../functions/apply-labels/dependencies.ts'
import type { LabelApplierDeps } from '../../functions/apply-labels/process-batch.ts'
import { publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import type { Label } from '../../functions/core/labels/label.ts'
import { createStream, createTables, tableEnvironment } from '../../local/emulators.ts'
import { uniqueName, type EmulatorContext } from './emulators.ts'
import { KinesisPoller } from './kinesis-poller.ts'
import { history } from './scenario.ts'
import { fixedNow, scorerFixture } from './scorer.ts'
import { withLuhnDigit } from './transactions.ts'

/** Fraud confirmed at the merchant in the last 30 days, and cards confirmed compromised before. */
export const labelFedRules = {
  version: 2,
  thresholds: { review: 50, block: 90 },
  features: [
    { name: 'merchant_frauds_30d', entity: 'merchant', aggregate: 'fraud_count', window: '30d' },
    { name: 'merchant_fraud_rate_30d', entity: 'merchant', aggregate: 'fraud_rate', window: '30d' },
    { name: 'card_flagged_before', entity: 'card', aggregate: 'flagged_before' },
  ],
  rules: [
    { id: 'merchant-fraud', description: 'Fraud confirmed at this merchant', when: 'features.merchant_frauds_30d >= 1', score: 60 },
    { id: 'card-flagged', description: 'The card had fraud confirmed', when: 'has(features.card_flagged_before) && features.card_flagged_before', score: 90 },
  ],
} as const

export const pan = (i: number) => withLuhnDigit(`411111111111${String(i).padStart(3, '0')}`)
/** Six transactions an hour apart at one merchant; the first two on the same card. */
export const lines = history(
  '2026-11-24T04:00:00Z',
  [0, 1, 2, 3, 4, 5].map((i) => ({ at: i * 60, merchant: { id: 'm-hot' }, card: { pan: pan(i === 1 ? 0 : i) }, device: { id: `dev-${i}`, ip: `198.51.100.${i}` } })),
).map((txn) => JSON.stringify(txn))

export const label = (transactionId: string, fraud: boolean, reportedAt: string, source: Label['source'] = 'chargeback'): Label => ({ transactionId, fraud, reportedAt, source })

export async function applierFixture(aws: EmulatorContext) {
  const fixture = await scorerFixture(aws)
  await publishRuleSet(aws.dynamo, fixture.names.rules, labelFedRules as never, fixedNow)
  const labelsTable = uniqueName('labels')
  const labelStream = uniqueName('labels-stream')
  await createTables(aws.dynamo, { labels: labelsTable })
  await createStream(aws.kinesis, labelStream, 1)
  const deps: LabelApplierDeps = {
    ...labelApplierDependencies(tableEnvironment({ ...fixture.names, labels: labelsTable }), new Logger({ logLevel: 'SILENT' }), { dynamo: aws.dynamo }),
    now: () => fixedNow,
  }
  const poller = new KinesisPoller({ client: aws.kinesis, streamName: labelStream })
  return {
    fixture,
    deps,
    poller,
    labelsTable,
    labelStream,
    async send(records: readonly string[]) {
      await aws.kinesis.send(new PutRecordsCommand({ StreamName: labelStream, Records: records.map((data) => ({ Data: Buffer.from(data), PartitionKey: 'p' })) }))
    },
    async score(txnLines: readonly string[]) {
      await fixture.put(txnLines)
      for (const event of await fixture.poller.drain(100)) expect((await fixture.invoke(event)).response.batchItemFailures).toEqual([])
    },
  }
}


import { describe, expect, it } from 'vitest'
import { labelApplierEntry, labelSweepMinutes } from '../../lib/labels.ts'
import { synth, type Statement } from '../support/synth.ts'

const dev = synth()
const { labels, tables } = dev.stack

describe('label feed', () => {
  it('is a one-shard stream encrypted with the tables key, read from its oldest record by the applier', () => {
    expect(dev.resource(labels.stream).Properties).toMatchObject({
      ShardCount: 1,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: dev.arnOf(tables.key) },
    })
    const [, mapping] = dev.ofType('AWS::Lambda::EventSourceMapping').find(([, r]) => JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: dev.logicalId(labels.applier) }))!
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: dev.arnOf(labels.stream),
      StartingPosition: 'TRIM_HORIZON',
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: dev.arnOf(labels.deadLetterQueue) } },
    })
    expect(mapping.Properties.MaximumRetryAttempts).toBeGreaterThanOrEqual(0)
    expect(mapping.Properties.MaximumRecordAgeInSeconds).toBeGreaterThan(0)
    expect(labelApplierEntry).toMatch(/functions\/apply-labels\/handler\.ts$/)
  })

  it('sweeps the waiting labels every 5 minutes', () => {
    const [, rule] = dev.ofType('AWS::Events::Rule').find(([, r]) => JSON.stringify(r.Properties.Targets).includes(dev.logicalId(labels.sweep)))!
    expect(rule.Properties.ScheduleExpression).toBe(`rate(${labelSweepMinutes} minutes)`)
    expect(labelSweepMinutes).toBe(5)
  })

  it('lets the applier make exactly the table calls it makes, on its tables only', () => {
    const roleId = dev.logicalId(labels.applier.role!)
    const statements = dev
      .ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
    const on = (construct: Parameters<typeof dev.arnOf>[0]) =>
      statements.filter((s) => [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(dev.arnOf(construct)))).flatMap((s) => [s.Action].flat())
    expect(on(tables.labels).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem'])
    expect(on(tables.decisions)).toEqual(['dynamodb:BatchGetItem'])
    expect(on(tables.entityState).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem'])
    expect(on(tables.rules).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
    expect(on(tables.quarantine)).toEqual(['dynamodb:PutItem'])
    expect(on(tables.cases)).toEqual([])
  })
})

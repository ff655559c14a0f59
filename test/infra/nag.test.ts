import { App, Stack, Validations } from 'aws-cdk-lib'
import * as kinesis from 'aws-cdk-lib/aws-kinesis'
import * as kms from 'aws-cdk-lib/aws-kms'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import type { AwsSolutionsChecks } from 'cdk-nag'
import type { IConstruct } from 'constructs'
import { describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { checkAwsSolutions } from '../../lib/nag.ts'
import { cdkJson, synth } from '../support/synth.ts'

type Finding = `${'error' | 'warning'} ${string} at ${string}`

/** Every finding the checks report on the app, acknowledged ones excluded. */
function findingsOf(checks: AwsSolutionsChecks, app: IConstruct): Finding[] {
  return checks
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r): Finding => `${v.severity === 'error' ? 'error' : 'warning'} ${v.ruleName} at ${r.constructPath}`))
}

/** Every acknowledgment in the construct tree: where, which rule, why. */
function acknowledgmentsIn(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
  )
}

const dev = synth({}, { nag: true })
const checks = dev.nag!

describe('cdk-nag AwsSolutions over the app bin/vigil.ts builds', () => {
  it('runs whenever vigil:nag is on, which cdk.json sets, so `cdk synth` and `cdk deploy` check too', () => {
    expect(cdkJson.context[contextKeys.nag]).toBe(true)
    expect(checks).toBeDefined()
    expect(synth().nag).toBeUndefined()
  })

  it.each([
    ['false', undefined],
    ['true', 'checks'],
  ])('takes vigil:nag=%s from the command line', (value, expected) => {
    expect(synth({ [contextKeys.nag]: value }).nag === undefined ? undefined : 'checks').toBe(expected)
  })

  it('refuses a vigil:nag that is not a boolean', () => {
    expect(() => synth({ [contextKeys.nag]: 'yes' })).toThrow(/vigil:nag must be true or false/)
  })

  it('reports no unacknowledged error or warning in the dev stack', () => {
    expect(findingsOf(checks, dev.app)).toEqual([])
  })

  it('reports none either for prod with a provisioned stream, CORS origins and both e-mail subscriptions', () => {
    const prod = synth(
      {
        [contextKeys.stage]: 'prod',
        [contextKeys.shardCount]: '4',
        [contextKeys.corsOrigins]: 'https://vigil.example.com',
        [contextKeys.supervisorEmail]: 'supervisors@example.com',
        [contextKeys.alarmEmail]: 'oncall@example.com',
      },
      { nag: true },
    )
    expect(findingsOf(prod.nag!, prod.app)).toEqual([])
  })

  it('fails synthesis on a new unacknowledged error: a queue that accepts plain HTTP', () => {
    expect(() => synth({}, { nag: true, extend: (stack) => new sqs.Queue(stack, 'PlainQueue') })).toThrow(/AwsSolutions-SQS4/)
  })

  it('fails synthesis on a new unacknowledged warning too: a stream under a customer key without a reason', () => {
    const otherStream = (stack: Stack) =>
      new kinesis.Stream(stack, 'OtherStream', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: new kms.Key(stack, 'OtherKey', { enableKeyRotation: true }) })
    expect(() => synth({}, { nag: true, extend: otherStream })).toThrow(/WARNING[^]*AwsSolutions-KDS3/)
  })
})

describe('acknowledged findings', () => {
  const acknowledgments = acknowledgmentsIn(dev.app)
  const cases = dev.logicalId(dev.stack.tables.cases)
  const caseTasks = dev.logicalId(dev.stack.escalation.caseTasks)
  const labels = dev.logicalId(dev.stack.tables.labels)
  const keyWildcards = ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]']
  const tracing = 'AwsSolutions-IAM5[Resource::*]'

  it('are exactly these, each on the one resource it concerns (the README "Security" table lists them)', () => {
    const expected = [
      ['Vigil-dev/Ingest/Stream', ['AwsSolutions-KDS3']],
      ['Vigil-dev/Scoring/TokenizationKey', ['AwsSolutions-SMG4']],
      ['Vigil-dev/Scoring/DeadLetterQueue', ['AwsSolutions-SQS3']],
      ['Vigil-dev/Scoring/ScorerRole/DefaultPolicy', [...keyWildcards, tracing]],
      ['Vigil-dev/Scoring/SeedRole/DefaultPolicy', keyWildcards],
      ['Vigil-dev/Labels/Stream', ['AwsSolutions-KDS3']],
      ['Vigil-dev/Labels/DeadLetterQueue', ['AwsSolutions-SQS3']],
      ['Vigil-dev/Labels/ApplierRole/DefaultPolicy', [...keyWildcards, `AwsSolutions-IAM5[Resource::<${labels}.Arn>/index/*]`, tracing]],
      ['Vigil-dev/Labels/SweepRole/DefaultPolicy', [...keyWildcards, `AwsSolutions-IAM5[Resource::<${labels}.Arn>/index/*]`, tracing]],
      ['Vigil-dev/Escalation/CaseTasksRole/DefaultPolicy', [...keyWildcards, `AwsSolutions-IAM5[Resource::<${cases}.Arn>/index/*]`, tracing]],
      ['Vigil-dev/Escalation/CaseWorkflow/Role/DefaultPolicy', [`AwsSolutions-IAM5[Resource::<${caseTasks}.Arn>:*]`, tracing]],
      ['Vigil-dev/CaseApi/UserPool', ['AwsSolutions-COG8']],
      ['Vigil-dev/CaseApi/HandlerRole/DefaultPolicy', [...keyWildcards, `AwsSolutions-IAM5[Resource::<${cases}.Arn>/index/*]`, `AwsSolutions-IAM5[Resource::<${labels}.Arn>/index/*]`, tracing]],
      ['Vigil-dev/CaseApi/TokenScopesRole/DefaultPolicy', [tracing]],
    ] as const
    const flat = (list: readonly (readonly [string, readonly string[]])[]) => list.flatMap(([path, ids]) => ids.map((id) => `${id} at ${path}`)).sort()
    expect(acknowledgments.map(({ path, id }) => `${id} at ${path}`).sort()).toEqual(flat(expected))
  })

  it('never apply to the app or the stack as a whole, and IAM5 ones name the wildcard they accept', () => {
    for (const { path, id } of acknowledgments) {
      expect(path.split('/').length, path).toBeGreaterThanOrEqual(3)
      if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/^AwsSolutions-IAM5\[(Action|Resource)::.+\]$/)
    }
  })

  it('each give a specific reason', () => {
    const reasons = acknowledgments.map(({ reason }) => reason)
    for (const reason of reasons) expect(reason.length, reason).toBeGreaterThanOrEqual(80)
  })

  it('are all still needed: each matches a finding the checks make on that resource when nothing is acknowledged', () => {
    const raw = findingsOf(withoutAcknowledgments(checkAwsSolutions(new App())), dev.app)
    for (const { path, id } of acknowledgments) {
      expect(raw.some((finding) => finding.includes(` ${id} at ${path}/`)), `${id} at ${path}`).toBe(true)
    }
  })
})

/** The same checks, blind to acknowledgments (cdk-nag asks a private method whether a rule is acknowledged). */
function withoutAcknowledgments(pack: AwsSolutionsChecks): AwsSolutionsChecks {
  Object.defineProperty(pack, 'isAcknowledged', { value: () => false })
  return pack
}

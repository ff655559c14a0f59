import { setTimeout as sleep } from 'node:timers/promises'
import { CreateTableCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionAlreadyExists as SdkExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut as SdkTaskTimedOut,
} from '@aws-sdk/client-sfn'
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks'
import type { Context } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDynamoDbClient, localCredentials, localRegion } from '../../functions/aws/clients.ts'
import { caseId, StepFunctionsEscalation } from '../../functions/aws/escalation.ts'
import { StepFunctionsWorkflow } from '../../functions/aws/workflow.ts'
import type { Decision } from '../../functions/core/decision.ts'
import { parseTransaction, type Transaction } from '../../functions/core/transaction.ts'
import {
  definitionFromTemplate,
  dynamoDbServiceHandlers,
  LocalStateMachine,
  serveStepFunctions,
  type AslDefinition,
  type LocalStateMachineOptions,
} from '../../local/state-machine.ts'
import { useEmulators, uniqueName } from '../support/emulators.ts'
import { hasMotoServer, startMoto as startMotoServer } from '../support/moto.ts'
import { testKey, wireExample } from '../support/transactions.ts'

/**
 * The escalation workflow in miniature, as CDK synthesizes it: a Lambda task, a Choice, a
 * `.waitForTaskToken` Lambda task with an SLA timeout from the input and a Catch on
 * States.Timeout, a DynamoDB PutItem integration and a Succeed.
 */
function synthesize() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } })
  const stack = new Stack(app, 'EscalationUnderTest')
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    })
  const openCase = fn('OpenCaseFn')
  const notifyAnalyst = fn('NotifyAnalystFn')
  const cases = new dynamodb.Table(stack, 'Cases', { partitionKey: { name: 'caseId', type: dynamodb.AttributeType.STRING } })

  const open = new tasks.LambdaInvoke(stack, 'OpenCase', { lambdaFunction: openCase, outputPath: '$.Payload' })
  const awaitAnalyst = new tasks.LambdaInvoke(stack, 'AwaitAnalyst', {
    lambdaFunction: notifyAnalyst,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({ taskToken: sfn.JsonPath.taskToken, caseId: sfn.JsonPath.stringAt('$.caseId') }),
    taskTimeout: sfn.Timeout.at('$.slaSeconds'),
    resultPath: '$.review',
  })
  const escalate = new sfn.Pass(stack, 'Escalate', { result: sfn.Result.fromObject({ outcome: 'escalated' }), resultPath: '$.review' })
  const autoBlock = new sfn.Pass(stack, 'KeepBlocked', { result: sfn.Result.fromObject({ outcome: 'blocked' }), resultPath: '$.review' })
  const record = new tasks.DynamoPutItem(stack, 'RecordVerdict', {
    table: cases,
    item: {
      caseId: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.caseId')),
      verdict: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.review.outcome')),
    },
    resultPath: sfn.JsonPath.DISCARD,
  })
  awaitAnalyst.addCatch(escalate, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' })
  escalate.next(record)
  record.next(new sfn.Succeed(stack, 'Done'))
  const chain = open.next(
    new sfn.Choice(stack, 'NeedsAnalyst')
      .when(sfn.Condition.stringEquals('$.outcome', 'review'), awaitAnalyst.next(record))
      .otherwise(autoBlock.next(record)),
  )
  new sfn.StateMachine(stack, 'Escalation', { definitionBody: sfn.DefinitionBody.fromChainable(chain), timeout: Duration.days(7) })

  // A second machine, from a string body with DefinitionSubstitutions.
  new sfn.StateMachine(stack, 'Substituted', {
    definitionBody: sfn.DefinitionBody.fromString(
      '{"StartAt":"Put","States":{"Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem",' +
        '"Parameters":{"TableName":"${casesTable}","Item":{"caseId":{"S.$":"$.caseId"}}},"End":true}}}',
    ),
    definitionSubstitutions: { casesTable: cases.tableName },
  })

  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement)
  return {
    template: Template.fromStack(stack).toJSON(),
    ids: { openCase: id(openCase), notifyAnalyst: id(notifyAnalyst), cases: id(cases), escalation: id(stack.node.findChild('Escalation')) },
  }
}

const { template, ids } = synthesize()
const aws = useEmulators()
let table: string

beforeAll(async () => {
  table = uniqueName('cases')
  await createCasesTable(aws.dynamo, table)
})

/** The definition every test runs: from the template, the table resolved to the local one. */
const definition = (tableName = table) =>
  definitionFromTemplate(template, ids.escalation, {
    resolve: (ref) => (ref.resourceType === 'AWS::DynamoDB::Table' && ref.kind === 'Ref' ? tableName : undefined),
  })

/** What the Lambda functions do here: open a case from a decision; hand the token to an analyst. */
function escalationLambdas() {
  const analystInbox = new Map<string, string>()
  const notified: string[] = []
  const lambdas = {
    [ids.openCase]: async (event: { decision: Decision; slaSeconds?: number }, context: Context) => ({
      caseId: caseId(event.decision.transactionId),
      outcome: event.decision.outcome,
      slaSeconds: event.slaSeconds ?? 3600,
      openedBy: context.functionName,
    }),
    [ids.notifyAnalyst]: async (event: { taskToken: string; caseId: string }) => {
      notified.push(event.caseId)
      analystInbox.set(event.caseId, event.taskToken)
    },
  }
  /** The token the analyst was handed for `id`, once the state is waiting. */
  const tokenFor = (id: string) => vi.waitFor(() => analystInbox.get(id) ?? Promise.reject(new Error(`no token yet for ${id}`)), { timeout: 5_000, interval: 5 })
  return { lambdas, tokenFor, notified }
}

function machine(options: Partial<LocalStateMachineOptions> = {}) {
  const { lambdas, tokenFor, notified } = escalationLambdas()
  const m = new LocalStateMachine(definition(), { name: 'escalation', lambdas, services: dynamoDbServiceHandlers(aws.dynamo), ...options })
  machines.push(m)
  return { machine: m, tokenFor, notified }
}
const machines: LocalStateMachine[] = []
afterAll(() => Promise.all(machines.map((m) => m.close())))

let sequence = 0
function decision(outcome: Decision['outcome'] = 'review'): Decision {
  sequence += 1
  return { transactionId: `tx-sm-${process.pid}-${sequence}`, outcome, score: 60, ruleSetVersion: 1, rules: [], decidedAt: '2026-11-24T10:15:30.123Z' }
}

function transactionOf(d: Decision): Transaction {
  const parsed = parseTransaction(wireExample({ transactionId: d.transactionId }), testKey)
  if (!parsed.ok) throw new Error('invalid example transaction')
  return parsed.value
}

async function verdictOf(client: DynamoDBClient, tableName: string, id: string) {
  const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { caseId: { S: id } }, ConsistentRead: true }))
  return Item?.verdict?.S
}

const statesEntered = (history: ReadonlyArray<{ type: string; state?: { name: string } }>) =>
  history.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name)

async function rejection(call: () => unknown): Promise<Error> {
  try {
    await call()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('definitionFromTemplate', () => {
  it('resolves the synthesized DefinitionString: Lambda ARNs, the partition and the table from the template', () => {
    const asl = definition('resolved-table')
    expect(Object.keys(asl.States)).toEqual(
      expect.arrayContaining(['OpenCase', 'NeedsAnalyst', 'AwaitAnalyst', 'Escalate', 'KeepBlocked', 'RecordVerdict', 'Done']),
    )
    const state = (name: string) => asl.States[name] as Record<string, any>
    expect(state('OpenCase').Resource).toBe('arn:aws:states:::lambda:invoke')
    expect(state('OpenCase').Parameters.FunctionName).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${ids.openCase}`)
    expect(state('AwaitAnalyst')).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.slaSeconds',
      Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Escalate' }],
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token' } },
    })
    expect(state('RecordVerdict')).toMatchObject({ Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 'resolved-table' } })
    expect(asl.TimeoutSeconds).toBe(7 * 86_400)
  })

  it('applies DefinitionSubstitutions and answers references by default as CloudFormation would (a table Ref is its name)', () => {
    const asl = definitionFromTemplate(template, (id) => id.startsWith('Substituted'))
    expect((asl.States.Put as Record<string, any>).Parameters.TableName).toBe(ids.cases)
  })

  it('refuses an ambiguous template, naming the state machines it holds', () => {
    expect(() => definitionFromTemplate(template)).toThrow(/more than one state machine matches.*Escalation/)
  })
})

describe('LocalStateMachine on the synthesized definition (aws-local-stepfunctions, dynalite)', () => {
  it('happy path: the analyst token is sent back with SendTaskSuccess, and the verdict is written to DynamoDB', async () => {
    const { machine: m, tokenFor } = machine()
    const d = decision()
    const name = caseId(d.transactionId)
    m.start(name, { decision: d })

    const token = await tokenFor(name)
    expect(m.describe(name).status).toBe('RUNNING')
    expect(m.pendingTasks(name)).toMatchObject([{ token, stateName: 'AwaitAnalyst', payload: { Payload: { taskToken: token, caseId: name } } }])
    m.sendTaskSuccess(token, { outcome: 'fraud', reason: 'card testing', decidedBy: 'ana' })

    const done = await m.wait(name)
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { caseId: name, outcome: 'review', openedBy: ids.openCase, review: { outcome: 'fraud', decidedBy: 'ana' } } })
    expect(await verdictOf(aws.dynamo, table, name)).toBe('fraud')
    expect(statesEntered(m.history(name))).toEqual(['OpenCase', 'NeedsAnalyst', 'AwaitAnalyst', 'RecordVerdict', 'Done'])
  })

  it('the Choice sends a block straight to RecordVerdict, with no analyst', async () => {
    const { machine: m, notified } = machine()
    const d = decision('block')
    m.start(caseId(d.transactionId), { decision: d })
    expect(await m.wait(caseId(d.transactionId))).toMatchObject({ status: 'SUCCEEDED', output: { review: { outcome: 'blocked' } } })
    expect(notified).toEqual([])
    expect(await verdictOf(aws.dynamo, table, caseId(d.transactionId))).toBe('blocked')
  })

  it('timeout path: a 1-hour SLA runs in ≈ 36 ms at timeScale 1e-5, fails with States.Timeout and the Catch escalates', async () => {
    const { machine: m, tokenFor } = machine({ timeScale: 1e-5 })
    const d = decision()
    const name = caseId(d.transactionId)
    const started = performance.now()
    m.start(name, { decision: d, slaSeconds: 3600 })
    const token = await tokenFor(name)

    const done = await m.wait(name)
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(35)
    expect(elapsed).toBeLessThan(3_000)
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { timeout: { Error: 'States.Timeout', Cause: '' }, review: { outcome: 'escalated' } } })
    expect(statesEntered(m.history(name))).toEqual(['OpenCase', 'NeedsAnalyst', 'AwaitAnalyst', 'Escalate', 'RecordVerdict', 'Done'])
    expect(await verdictOf(aws.dynamo, table, name)).toBe('escalated')
    // The analyst answers too late: the service's answer is TaskTimedOut.
    expect(() => m.sendTaskSuccess(token, { outcome: 'fraud' })).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
  })

  it('a duplicate start with the same name and input is a no-op; another input under the name fails', async () => {
    const { machine: m, tokenFor, notified } = machine()
    const d = decision()
    const name = caseId(d.transactionId)
    const first = m.start(name, { decision: d })
    const token = await tokenFor(name)

    expect(m.start(name, { decision: d })).toEqual(first)
    expect(m.list()).toEqual([name])
    expect(notified).toEqual([name])
    expect(() => m.start(name, { decision: { ...d, score: 99 } })).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }))

    m.sendTaskSuccess(token, { outcome: 'legitimate' })
    await m.wait(name)
    // Closed: the service refuses the name even with the same input (names are not reused for 90 days).
    expect(() => m.start(name, { decision: d })).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }))
    expect(notified).toEqual([name])
  })

  it('SendTaskSuccess after completion fails with TaskTimedOut; an unknown token with InvalidToken', async () => {
    const { machine: m, tokenFor } = machine()
    const d = decision()
    const name = caseId(d.transactionId)
    m.start(name, { decision: d })
    const token = await tokenFor(name)
    m.sendTaskSuccess(token, { outcome: 'fraud' })
    expect(() => m.sendTaskSuccess(token, { outcome: 'legitimate' })).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
    await m.wait(name)
    expect(() => m.sendTaskSuccess(token, { outcome: 'legitimate' })).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
    expect(() => m.sendTaskFailure(token, 'Late')).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
    expect(() => m.sendTaskSuccess('not-a-token', {})).toThrow(expect.objectContaining({ name: 'InvalidToken' }))
    expect(await verdictOf(aws.dynamo, table, name)).toBe('fraud')
  })

  it('SendTaskFailure fails the state with its error and cause; uncaught, the execution FAILS with them', async () => {
    const { machine: m, tokenFor } = machine()
    const d = decision()
    const name = caseId(d.transactionId)
    m.start(name, { decision: d })
    m.sendTaskFailure(await tokenFor(name), 'Analyst.Unreachable', 'pager down')
    expect(await m.wait(name)).toMatchObject({ status: 'FAILED', error: 'Analyst.Unreachable', cause: 'pager down' })
    expect(await verdictOf(aws.dynamo, table, name)).toBeUndefined()
  })

  it('a Lambda error fails the state as the service reports it: errorType as the error, the JSON error as the cause', async () => {
    const { lambdas } = escalationLambdas()
    class CaseStoreDown extends Error {
      override name = 'CaseStoreDown'
    }
    const failing = { ...lambdas, [ids.openCase]: async () => Promise.reject(new CaseStoreDown('no case store')) }
    const m = new LocalStateMachine(definition(), { lambdas: failing, services: dynamoDbServiceHandlers(aws.dynamo) })
    m.start('lambda-error', { decision: decision() })
    const done = await m.wait('lambda-error')
    expect(done).toMatchObject({ status: 'FAILED', error: 'CaseStoreDown' })
    expect(JSON.parse(done.cause!)).toMatchObject({ errorType: 'CaseStoreDown', errorMessage: 'no case store' })
  })

  it('refuses a definition whose tasks have no local handler, naming them', () => {
    const refusal = () => new LocalStateMachine(definition(), { lambdas: {} })
    expect(refusal).toThrow(/no local handler for/)
    for (const missing of [`OpenCase: Lambda ${'.*'}${ids.openCase}`, `AwaitAnalyst: Lambda .*${ids.notifyAnalyst}`, 'RecordVerdict: service dynamodb:putItem']) {
      expect(refusal).toThrow(new RegExp(missing))
    }
  })
})

describe('timeouts, heartbeats and waits the interpreter lacks', () => {
  const callback = (extra: Record<string, unknown>): AslDefinition => ({
    StartAt: 'Await',
    States: {
      Await: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        Parameters: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', MessageBody: { 'token.$': '$$.Task.Token' } },
        ...extra,
        Catch: [
          { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Failed' },
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' },
        ],
        End: true,
      },
      Failed: { Type: 'Pass', End: true },
      TimedOut: { Type: 'Pass', End: true },
    },
  })
  const queue = () => {
    const sent: Array<{ token: string }> = []
    return { sent, services: { 'sqs:sendMessage': (p: { MessageBody: { token: string } }) => void sent.push(p.MessageBody) } }
  }

  it('States.TaskFailed does not catch a timeout (the interpreter own States.Timeout is raised)', async () => {
    const { services } = queue()
    const m = new LocalStateMachine(callback({ TimeoutSeconds: 60 }), { services, timeScale: 1e-4 })
    m.start('t', {})
    const done = await m.wait('t')
    expect(done.output).toEqual({ error: { Error: 'States.Timeout', Cause: '' } })
    expect(statesEntered(m.history('t'))).toEqual(['Await', 'TimedOut'])
  })

  it('heartbeats keep a callback state alive; without them it fails with States.HeartbeatTimeout', async () => {
    const { sent, services } = queue()
    const m = new LocalStateMachine(callback({ TimeoutSeconds: 3600, HeartbeatSecondsPath: '$.heartbeat' }), { services, timeScale: 1e-3 })
    m.start('h', { heartbeat: 300 }) // 300 ms of real time
    await vi.waitFor(() => expect(sent).toHaveLength(1))
    for (let i = 0; i < 8; i++) {
      await sleep(50)
      m.sendTaskHeartbeat(sent[0]!.token)
    }
    expect(m.describe('h').status).toBe('RUNNING') // 400 ms in, past the heartbeat timeout
    const done = await m.wait('h')
    expect(done.output).toEqual({ heartbeat: 300, error: { Error: 'States.HeartbeatTimeout', Cause: '' } })
    expect(() => m.sendTaskHeartbeat(sent[0]!.token)).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
  })

  it('a retried callback state gets a fresh token per attempt; the earlier token answers TaskTimedOut', async () => {
    const { sent, services } = queue()
    const retried = callback({ TimeoutSeconds: 3600, Retry: [{ ErrorEquals: ['Analyst.Busy'], IntervalSeconds: 30, MaxAttempts: 1 }] })
    const m = new LocalStateMachine(retried, { services, timeScale: 1e-3 }) // the retry waits 30 ms
    m.start('r', {})
    await vi.waitFor(() => expect(sent).toHaveLength(1))
    m.sendTaskFailure(sent[0]!.token, 'Analyst.Busy', 'try later')
    await vi.waitFor(() => expect(sent).toHaveLength(2))
    const [first, second] = sent.map((message) => message.token)
    expect(first).not.toBe(second)
    expect(() => m.sendTaskSuccess(first!, { late: true })).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
    m.sendTaskSuccess(second!, { onTime: true })
    expect(await m.wait('r')).toMatchObject({ status: 'SUCCEEDED', output: { onTime: true } })
  })

  it("the machine's TimeoutSeconds scales too: the execution ends TIMED_OUT and its token answers TaskTimedOut", async () => {
    const { sent, services } = queue()
    const m = new LocalStateMachine({ ...callback({}), TimeoutSeconds: 3600 }, { services, timeScale: 1e-5 })
    m.start('x', {})
    expect(await m.wait('x')).toMatchObject({ status: 'TIMED_OUT' })
    expect(sent).toHaveLength(1)
    expect(() => m.sendTaskSuccess(sent[0]!.token, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
  })

  it('Wait states scale too, and show as Wait in the history', async () => {
    const m = new LocalStateMachine(
      { StartAt: 'Pause', States: { Pause: { Type: 'Wait', SecondsPath: '$.pause', Next: 'Done' }, Done: { Type: 'Succeed' } } },
      { timeScale: 1e-5 },
    )
    const started = performance.now()
    m.start('w', { pause: 3600 })
    expect(await m.wait('w')).toMatchObject({ status: 'SUCCEEDED', output: { pause: 3600 } })
    expect(performance.now() - started).toBeGreaterThanOrEqual(35)
    expect(m.history('w').find((e) => e.type === 'StateEntered')?.state?.type).toBe('Wait')
  })

  it('stop ends a waiting execution ABORTED and its token answers TaskTimedOut', async () => {
    const { sent, services } = queue()
    const m = new LocalStateMachine(callback({}), { services })
    m.start('s', {})
    await vi.waitFor(() => expect(sent).toHaveLength(1))
    await m.stop('s', { error: 'Operator', cause: 'test' })
    expect(m.describe('s')).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'test' })
    expect(() => m.sendTaskSuccess(sent[0]!.token, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
  })
})

describe('the Step Functions API over HTTP (@aws-sdk/client-sfn and the real adapters)', () => {
  it("the scorer's StartExecution is idempotent; the case API's SendTaskSuccess resumes once, then is stale", async () => {
    const { machine: m, tokenFor } = machine()
    const server = await serveStepFunctions([m])
    const client = new SFNClient({ endpoint: server.endpoint, region: localRegion, credentials: { ...localCredentials } })
    try {
      const d = decision()
      const escalation = new StepFunctionsEscalation(client, m.arn)
      await escalation.escalate(d, transactionOf(d))
      await escalation.escalate(d, transactionOf(d)) // a redelivered batch escalates again: a no-op
      const name = caseId(d.transactionId)
      expect(m.list()).toEqual([name])

      const executionArn = m.describe(name).executionArn
      const again = await rejection(() => client.send(new StartExecutionCommand({ stateMachineArn: m.arn, name, input: '{"other":1}' })))
      expect(again).toBeInstanceOf(SdkExecutionAlreadyExists)
      expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'RUNNING', name })

      const token = await tokenFor(name)
      const workflow = new StepFunctionsWorkflow(client)
      expect(await workflow.resume(token, { outcome: 'fraud', reason: 'card testing', decidedBy: 'ana' })).toBe('resumed')
      await m.wait(name)
      const described = await client.send(new DescribeExecutionCommand({ executionArn }))
      expect(described.status).toBe('SUCCEEDED')
      expect(JSON.parse(described.output!)).toMatchObject({ caseId: name, review: { outcome: 'fraud', decidedBy: 'ana' } })
      expect(await workflow.resume(token, { outcome: 'legitimate', reason: 'late', decidedBy: 'bob' })).toBe('stale')
      const late = await rejection(() => client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))
      expect(late).toBeInstanceOf(SdkTaskTimedOut)
    } finally {
      client.destroy()
      await server.stop()
    }
  })
})

/**
 * The same synthesized definition on moto_server (moto 5 runs state machines with its
 * `stepfunctions.execute_state_machine` config; its Lambda without Docker answers an invocation with
 * its payload). Both sides run the echo Lambdas, so outputs, the states entered, the DynamoDB item
 * and the SendTaskSuccess errors can be compared. moto 5.2 fails a second StartExecution in one
 * process after an execution ran (a deepcopy of a thread lock), so each scenario starts from a
 * reset moto. Skipped where moto_server is not installed.
 */
describe.skipIf(!hasMotoServer)('cross-check: the same definition on moto_server (optional tier)', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>
  beforeAll(async () => {
    moto = await startMoto()
  })
  afterAll(() => moto?.stop())

  const echo = { [ids.openCase]: (e: unknown) => e, [ids.notifyAnalyst]: (e: unknown) => e }
  const input = (name: string, slaSeconds: number) => ({ caseId: name, outcome: 'review', slaSeconds })

  /** A fresh moto with the table and the state machine; answers the execution's task token when it waits. */
  async function onMoto(name: string, executionInput: object) {
    await moto.reset()
    const tableName = uniqueName('moto-cases')
    await createCasesTable(moto.dynamo, tableName)
    const { stateMachineArn } = await moto.sfn.send(
      new CreateStateMachineCommand({ name: 'escalation', definition: JSON.stringify(definition(tableName)), roleArn: 'arn:aws:iam::123456789012:role/sfn' }),
    )
    const start = (i: object) => moto.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(i) }))
    const { executionArn } = await start(executionInput)
    const history = async () => (await moto.sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn! }))).events ?? []
    return {
      tableName,
      start,
      executionArn: executionArn!,
      token: () =>
        vi.waitFor(
          async () => {
            const scheduled = (await history()).find((e) => e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken')
            if (!scheduled) throw new Error('not waiting yet')
            return (JSON.parse(scheduled.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } }).Payload.taskToken
          },
          { timeout: 10_000, interval: 50 },
        ),
      done: () =>
        vi.waitFor(
          async () => {
            const d = await moto.sfn.send(new DescribeExecutionCommand({ executionArn: executionArn! }))
            if (d.status === 'RUNNING') throw new Error('running')
            return { status: d.status, output: JSON.parse(d.output ?? 'null') as unknown }
          },
          { timeout: 15_000, interval: 50 },
        ),
      statesEntered: async () => (await history()).flatMap((e) => (e.stateEnteredEventDetails ? [e.stateEnteredEventDetails.name!] : [])),
      sendTaskSuccess: (token: string, output: object) => moto.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })),
    }
  }

  it('happy path, duplicate starts and SendTaskSuccess after completion agree with moto', async () => {
    const name = `case-moto-happy-${process.pid}`
    const remote = await onMoto(name, input(name, 600))
    const token = await remote.token()
    const duplicate = await remote.start(input(name, 600))
    expect(duplicate.executionArn).toBe(remote.executionArn)
    expect(await rejection(() => remote.start(input(name, 601)))).toMatchObject({ name: 'ExecutionAlreadyExists' })
    await remote.sendTaskSuccess(token, { outcome: 'fraud' })
    const onMotoDone = await remote.done()

    const m = new LocalStateMachine(definition(), { lambdas: echo, services: dynamoDbServiceHandlers(aws.dynamo) })
    m.start(name, input(name, 600))
    const local = await vi.waitFor(() => m.pendingTasks(name)[0]!.token)
    expect(m.start(name, input(name, 600)).executionArn).toBe(m.describe(name).executionArn)
    expect(() => m.start(name, input(name, 601))).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }))
    m.sendTaskSuccess(local, { outcome: 'fraud' })
    const here = await m.wait(name)

    expect(onMotoDone).toEqual({ status: 'SUCCEEDED', output: here.output })
    expect(await remote.statesEntered()).toEqual(statesEntered(m.history(name)))
    expect(await verdictOf(moto.dynamo, remote.tableName, name)).toBe(await verdictOf(aws.dynamo, table, name))
    // After completion: the service (and this runner) say TaskTimedOut; moto says InvalidToken.
    const motoLate = await rejection(() => remote.sendTaskSuccess(token, {}))
    expect(['TaskTimedOut', 'InvalidToken']).toContain(motoLate.name)
    expect(() => m.sendTaskSuccess(local, {})).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }))
  })

  it('the SLA timeout routes through the Catch alike (1 s on moto, 1 ms here)', async () => {
    const name = `case-moto-late-${process.pid}`
    const remote = await onMoto(name, input(name, 1))
    const token = await remote.token()
    const onMotoDone = await remote.done()

    const m = new LocalStateMachine(definition(), { lambdas: echo, services: dynamoDbServiceHandlers(aws.dynamo), timeScale: 1e-3 })
    m.start(name, input(name, 1))
    const here = await m.wait(name)

    expect(onMotoDone).toEqual({ status: 'SUCCEEDED', output: here.output })
    expect(here.output).toMatchObject({ timeout: { Error: 'States.Timeout', Cause: '' }, review: { outcome: 'escalated' } })
    expect(await remote.statesEntered()).toEqual(statesEntered(m.history(name)))
    expect(await verdictOf(moto.dynamo, remote.tableName, name)).toBe('escalated')
    expect(['TaskTimedOut', 'InvalidToken']).toContain((await rejection(() => remote.sendTaskSuccess(token, {}))).name)
  })
})

async function createCasesTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'caseId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'caseId', AttributeType: 'S' }],
    }),
  )
}

/** moto_server with state machines executed (its interpreter runs no Lambda code: echo Lambdas). */
async function startMoto() {
  const moto = await startMotoServer()
  const endpoint = moto.dynamoEndpoint
  const configure = () =>
    fetch(`${endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ stepfunctions: { execute_state_machine: true }, lambda: { use_docker: false } }),
    })
  await configure()
  const config = { endpoint, region: localRegion, credentials: { ...localCredentials } }
  const sfnClient = new SFNClient(config)
  const dynamo = createDynamoDbClient(config)
  return {
    sfn: sfnClient,
    dynamo,
    reset: async () => {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' })
      await configure()
    },
    stop: async () => {
      sfnClient.destroy()
      dynamo.destroy()
      await moto.stop()
    },
  }
}

import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import { Logger } from '@aws-lambda-powertools/logger'
import { applyLabelEvent } from '../../functions/apply-labels/apply-event.ts'
import { labelApplierDependencies } from '../../functions/apply-labels/dependencies.ts'
import { App, type CfnElement } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { DynamoCaseStore } from '../../functions/aws/case-store.ts'
import { DynamoDecisionStore } from '../../functions/aws/decision-store.ts'
import type { CaseCommandDeps, WorkflowPort } from '../../functions/case-api/case-commands.ts'
import { defaultSlaTable, type Case } from '../../functions/core/cases/index.ts'
import type { Decision } from '../../functions/core/decision.ts'
import { parseTransaction, type Transaction } from '../../functions/core/transaction.ts'
import { caseTaskDependencies } from '../../functions/escalation/dependencies.ts'
import { runCaseTask, type CaseTaskEvent } from '../../functions/escalation/tasks.ts'
import { caseId } from '../../functions/aws/escalation.ts'
import { readVigilConfig } from '../../lib/config.ts'
import { listItems } from '../../lib/table-schema.ts'
import { VigilStack } from '../../lib/vigil-stack.ts'
import { labelSchema, type Label } from '../../functions/core/labels/label.ts'
import { createStream, createTables, tableEnvironment } from '../../local/emulators.ts'
import { KinesisPoller } from './kinesis-poller.ts'
import { definitionFromTemplate, dynamoDbServiceHandlers, LocalStateMachine, TaskTimedOut } from '../../local/state-machine.ts'
import type { EmulatorContext } from './emulators.ts'
import { uniqueName } from './emulators.ts'
import { testKey, wireExample } from './transactions.ts'

/** The stack as `cdk synth` builds it (bundling off: the template is what matters here). */
const synthesized = (() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } })
  const stack = new VigilStack(app, 'Vigil-test', { config: readVigilConfig(app.node) })
  return { stack, template: Template.fromStack(stack).toJSON() }
})()

/**
 * The synthesized case workflow on the real ASL interpreter, its tasks bound to the real task code
 * and its DynamoDB integrations to dynalite, with time scaled: an hour of SLA takes `3600 × scale` s.
 */
export async function workflowFixture(aws: EmulatorContext, options: { timeScale?: number; beforeTask?: (event: CaseTaskEvent) => Promise<void> } = {}) {
  const timeScale = options.timeScale ?? 1e-4
  const names = {
    cases: uniqueName('cases'),
    decisions: uniqueName('decisions'),
    rules: uniqueName('rules'),
    labels: uniqueName('labels'),
    entityState: uniqueName('entities'),
    quarantine: uniqueName('quarantine'),
  }
  await createTables(aws.dynamo, names)
  const labelStream = uniqueName('labels')
  await createStream(aws.kinesis, labelStream, 1)
  const labelReader = new KinesisPoller({ client: aws.kinesis, streamName: labelStream })
  const labelsSent: Label[] = []
  // The label applier on the same tables and stream, read by its own poller.
  const applier = labelApplierDependencies(tableEnvironment(names), new Logger({ logLevel: 'SILENT' }), { dynamo: aws.dynamo })
  const applierReader = new KinesisPoller({ client: aws.kinesis, streamName: labelStream })
  const { stack, template } = synthesized
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement)
  const localTables = new Map([
    [logicalId(stack.tables.cases), names.cases],
    [logicalId(stack.tables.decisions), names.decisions],
    [logicalId(stack.tables.rules), names.rules],
  ])
  const definition = definitionFromTemplate(template, logicalId(stack.escalation.stateMachine), {
    resolve: (ref) => (ref.resourceType === 'AWS::DynamoDB::Table' && ref.kind === 'Ref' ? localTables.get(ref.logicalId) : undefined),
  })

  // The tasks read the definition's clock: real time since the start, divided by the scale.
  const realStart = Date.now()
  const start = Date.parse('2026-11-24T09:00:00Z')
  const now = () => start + (Date.now() - realStart) / timeScale
  const deps = caseTaskDependencies(
    { ...tableEnvironment(names), [labelStreamEnvVar]: labelStream, VIGIL_SLA_SECONDS: JSON.stringify(defaultSlaTable) },
    { dynamo: aws.dynamo, kinesis: aws.kinesis, now },
  )
  const notifications: unknown[] = []
  const machine = new LocalStateMachine(definition, {
    lambdas: {
      [logicalId(stack.escalation.caseTasks)]: async (event: CaseTaskEvent) => {
        await options.beforeTask?.(event)
        return runCaseTask(event, deps)
      },
    },
    services: {
      ...dynamoDbServiceHandlers(aws.dynamo),
      'sns:publish': (parameters: unknown) => {
        notifications.push(parameters)
        return { MessageId: `message-${notifications.length}` }
      },
    },
    timeScale,
  })
  const workflow: WorkflowPort = {
    resume: async (token, verdict) => {
      try {
        machine.sendTaskSuccess(token, verdict)
        return 'resumed'
      } catch (error) {
        if (error instanceof TaskTimedOut) return 'stale'
        throw error
      }
    },
  }
  const cases = new DynamoCaseStore(aws.dynamo, names.cases)
  const commands: CaseCommandDeps = { cases, workflow, now }

  return {
    names,
    /** The case API's environment on these tables and the labels stream. */
    apiEnvironment: { ...tableEnvironment(names), [labelStreamEnvVar]: labelStream },
    machine,
    notifications,
    commands,
    cases,
    now,
    /** Starts the workflow as the scorer does: named after the transaction's case. */
    start(decision: Decision, transaction: Transaction) {
      const name = caseId(transaction.transactionId)
      machine.start(name, { decision, transaction })
      return name
    },
    /** Resolves once the case exists and the workflow waits for a verdict from `role`. */
    async waitingFor(id: string, role: 'analyst' | 'supervisor'): Promise<Case> {
      // Generous: a loaded CI machine stretches the scaled deadlines too.
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
        const found = await cases.get(id)
        if (found?.pending?.role === role) return found.case
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`case ${id} never waited for the ${role}`)
    },
    async listed(token: string): Promise<boolean> {
      const { Item } = await aws.dynamo.send(new GetItemCommand({ TableName: names.rules, Key: { pk: { S: listItems.partition('blocked_cards') }, sk: { S: token } }, ConsistentRead: true }))
      return Item !== undefined
    },
    /** Every label the workflow has put on the labels stream so far (verdicts), in order. */
    async labels(): Promise<Label[]> {
      for (const event of await labelReader.drain(1000)) {
        for (const record of event.Records) labelsSent.push(labelSchema.parse(JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'))))
      }
      return [...labelsSent]
    },
    /** Runs the label applier over what the labels stream holds now. */
    async applyLabels(): Promise<void> {
      for (const event of await applierReader.drain(1000)) await applyLabelEvent(event, applier)
    },
    /** The decision as the scorer stored it, which the verdict will label. */
    async recordDecision(decision: Decision): Promise<void> {
      await new DynamoDecisionStore(aws.dynamo, names.decisions, { ttlDays: 30 }).write(decision, { shardId: 'shardId-000000000000', sequenceNumber: '1', subSequenceNumber: 0 }, { time: Date.parse(decision.decidedAt), entities: {} })
    },
    async caseCount(): Promise<number> {
      return (await aws.dynamo.send(new ScanCommand({ TableName: names.cases }))).Count ?? 0
    },
  }
}

/** A scored transaction and its decision, as the scorer hands them to escalation. */
export function scored(outcome: 'review' | 'block', overrides: { transactionId?: string; amount?: number; score?: number } = {}) {
  const parsed = parseTransaction(wireExample({ transactionId: overrides.transactionId ?? `tx-${outcome}-${Math.random().toString(36).slice(2, 8)}`, amount: overrides.amount ?? 12_000 }), testKey)
  if (!parsed.ok) throw new Error('bad fixture')
  const decision: Decision = {
    transactionId: parsed.value.transactionId,
    outcome,
    score: overrides.score ?? (outcome === 'block' ? 90 : 60),
    ruleSetVersion: 1,
    rules: [{ id: 'card-testing', mode: 'active', status: 'fired', score: 90, values: { 'txn.amount': parsed.value.amount } }],
    decidedAt: '2026-11-24T09:00:00.000Z',
  }
  return { decision, transaction: parsed.value }
}

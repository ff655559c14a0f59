/**
 * The local runtime's single source of truth: the CDK app, synthesized offline (bundling off, with
 * cdk.json's context, as `cdk synth` builds it), and what the local pipeline reads from its
 * template: each table's keys and indexes, the stream's capacity, the event source mapping's
 * settings, the case workflow's ASL definition and the functions' environments. Nothing here is
 * restated from lib/; local names replace the generated ones.
 */
import { readFileSync } from 'node:fs'
import { App, type CfnElement } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import type { AttributeDefinition, GlobalSecondaryIndex, KeySchemaElement } from '@aws-sdk/client-dynamodb'
import { readVigilConfig, stackIdOf } from '../lib/config.ts'
import { tableSchemas, type TableKey } from '../lib/table-schema.ts'
import { VigilStack } from '../lib/vigil-stack.ts'
import { definitionFromTemplate, type AslDefinition } from './state-machine.ts'

/** Shards of the local stream when the template's stream is on-demand (kinesalite has no on-demand mode). */
export const onDemandLocalShards = 2

/** Local names: fixed and readable, so a user can point the AWS CLI at them. */
export const localNames = {
  tables: {
    decisions: 'vigil-decisions',
    entityState: 'vigil-entity-state',
    rules: 'vigil-rules',
    quarantine: 'vigil-quarantine',
    cases: 'vigil-cases',
    labels: 'vigil-labels',
  } satisfies Record<TableKey, string>,
  stream: 'vigil-transactions',
  labelStream: 'vigil-labels',
  stateMachine: 'vigil-case-workflow',
} as const

export interface TableDefinition {
  readonly key: TableKey
  readonly logicalId: string
  readonly localName: string
  readonly KeySchema: KeySchemaElement[]
  readonly AttributeDefinitions: AttributeDefinition[]
  readonly GlobalSecondaryIndexes?: GlobalSecondaryIndex[]
}

/** The Kinesis event source mapping as the template configures it (CloudFormation's property names). */
export interface EventSourceMappingSettings {
  readonly BatchSize: number
  readonly MaximumBatchingWindowInSeconds: number
  /** -1: retry until the record expires. */
  readonly MaximumRetryAttempts: number
  /** -1: no limit. */
  readonly MaximumRecordAgeInSeconds: number
  readonly BisectBatchOnFunctionError: boolean
  readonly ReportBatchItemFailures: boolean
  readonly ParallelizationFactor: number
  readonly StartingPosition: string
}

export interface StreamDefinition {
  readonly logicalId: string
  readonly localName: string
  readonly mode: 'ON_DEMAND' | 'PROVISIONED'
  /** The template's shard count, or `onDemandLocalShards` for an on-demand stream. */
  readonly localShardCount: number
}

export interface SynthesizedApp {
  readonly stackName: string
  readonly template: { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> }
  readonly tables: Record<TableKey, TableDefinition>
  readonly stream: StreamDefinition
  readonly eventSourceMapping: EventSourceMappingSettings
  /** The labels stream and the label applier's mapping on it (lib/labels.ts). */
  readonly labelStream: StreamDefinition
  readonly labelEventSourceMapping: EventSourceMappingSettings
  readonly logicalIds: { readonly scorer: string; readonly labelApplier: string; readonly labelSweep: string; readonly caseTasks: string; readonly caseApi: string; readonly stateMachine: string }
  /** The case workflow's definition, table references resolved to the local names. */
  definition(): AslDefinition
  /**
   * A function's environment from the template: table and stream references become local names,
   * the state machine's its local ARN; values that only make sense in AWS (a secret's ARN) are dropped.
   */
  environment(functionLogicalId: string, stateMachineArn: string): Record<string, string>
}

/** Synthesizes VigilStack offline (≈ 3 s) and reads what the local runtime needs from the template. */
export function synthesizeApp(): SynthesizedApp {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } })
  const config = readVigilConfig(app.node)
  const stack = new VigilStack(app, stackIdOf(config.stage), { config })
  const template = Template.fromStack(stack).toJSON() as SynthesizedApp['template']
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement)
  const resource = (id: string, type: string) => {
    const found = template.Resources[id]
    if (found?.Type !== type) throw new Error(`synthesized template: ${id} is not a ${type}`)
    return found.Properties ?? {}
  }

  const tables = {} as Record<TableKey, TableDefinition>
  const tableByLogicalId = new Map<string, string>()
  for (const key of Object.keys(tableSchemas) as TableKey[]) {
    const id = logicalId(stack.tables[key])
    const p = resource(id, 'AWS::DynamoDB::Table')
    const localName = localNames.tables[key]
    tables[key] = {
      key,
      logicalId: id,
      localName,
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
    }
    tableByLogicalId.set(id, localName)
  }

  const streamOf = (construct: typeof stack.ingest.stream, localName: string): StreamDefinition => {
    const id = logicalId(construct)
    const props = resource(id, 'AWS::Kinesis::Stream')
    const mode = props.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED'
    return { logicalId: id, localName, mode, localShardCount: mode === 'ON_DEMAND' ? onDemandLocalShards : Number(props.ShardCount ?? 1) }
  }
  const mappingOn = (stream: StreamDefinition): EventSourceMappingSettings => {
    const mappings = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(r.Properties?.EventSourceArn).includes(stream.logicalId),
    )
    if (mappings.length !== 1) throw new Error(`synthesized template: expected one event source mapping on ${stream.logicalId}, found ${mappings.length}`)
    const m = mappings[0]!.Properties ?? {}
    // CloudFormation's defaults where a property is absent (Lambda's documented defaults for Kinesis).
    return {
      BatchSize: m.BatchSize ?? 100,
      MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds ?? 0,
      MaximumRetryAttempts: m.MaximumRetryAttempts ?? -1,
      MaximumRecordAgeInSeconds: m.MaximumRecordAgeInSeconds ?? -1,
      BisectBatchOnFunctionError: m.BisectBatchOnFunctionError ?? false,
      ReportBatchItemFailures: (m.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      ParallelizationFactor: m.ParallelizationFactor ?? 1,
      StartingPosition: m.StartingPosition ?? 'LATEST',
    }
  }
  const stream = streamOf(stack.ingest.stream, localNames.stream)
  const labelStream = streamOf(stack.labels.stream, localNames.labelStream)
  const streamByLogicalId = new Map([stream, labelStream].map((s) => [s.logicalId, s.localName]))

  const logicalIds = {
    scorer: logicalId(stack.scoring.scorer),
    labelApplier: logicalId(stack.labels.applier),
    labelSweep: logicalId(stack.labels.sweep),
    caseTasks: logicalId(stack.escalation.caseTasks),
    caseApi: logicalId(stack.caseApi.handler),
    stateMachine: logicalId(stack.escalation.stateMachine),
  }

  return {
    stackName: stack.stackName,
    template,
    tables,
    stream,
    eventSourceMapping: mappingOn(stream),
    labelStream,
    labelEventSourceMapping: mappingOn(labelStream),
    logicalIds,
    definition: () =>
      definitionFromTemplate(template, logicalIds.stateMachine, {
        resolve: (ref) => (ref.resourceType === 'AWS::DynamoDB::Table' && ref.kind === 'Ref' ? tableByLogicalId.get(ref.logicalId) : undefined),
      }),
    environment: (functionLogicalId, stateMachineArn) => {
      const variables = (resource(functionLogicalId, 'AWS::Lambda::Function').Environment?.Variables ?? {}) as Record<string, unknown>
      const env: Record<string, string> = {}
      for (const [name, value] of Object.entries(variables)) {
        if (typeof value === 'string') env[name] = value
        else if (value && typeof value === 'object' && 'Ref' in value) {
          const ref = String((value as { Ref: unknown }).Ref)
          if (tableByLogicalId.has(ref)) env[name] = tableByLogicalId.get(ref)!
          else if (streamByLogicalId.has(ref)) env[name] = streamByLogicalId.get(ref)!
          else if (ref === logicalIds.stateMachine) env[name] = stateMachineArn
          // Anything else (the tokenization secret's ARN) has no local counterpart: left out.
        }
      }
      return env
    },
  }
}

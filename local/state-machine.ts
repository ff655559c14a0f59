/**
 * The synthesized state machine, run locally: the ASL definition is resolved from the CloudFormation
 * template CDK synthesizes (`definitionFromTemplate`) and executed by a real ASL interpreter,
 * `aws-local-stepfunctions`, with each Task state mapped to a local handler (`LocalStateMachine`).
 * No definition is restated here, so local and cloud run the same states, paths, Choice rules,
 * Retry and Catch.
 *
 * What aws-local-stepfunctions does (v3): validates the definition (asl-validator), runs Pass,
 * Task, Choice, Wait, Parallel, Map, Succeed and Fail with InputPath / Parameters / ResultSelector /
 * ResultPath / OutputPath, intrinsic functions, Retry (interval, backoff, max delay, jitter) and
 * Catch (`States.ALL`, `States.TaskFailed` not matching `States.Timeout`), the execution-level
 * `TimeoutSeconds`, abort, an event log, and `overrides.taskResourceLocalHandlers` (a function per
 * Task state *name*, called with the effective input after Parameters, in place of calling Lambda).
 *
 * What it does not do, and this module adds (the smallest real thing around it):
 *
 * - **Handlers by resource, as in the cloud.** The library maps handlers by state name and passes
 *   the Parameters only. Here every Task state gets a handler that dispatches on its `Resource`:
 *   `arn:aws:states:::lambda:invoke` calls the local Lambda handler named by `FunctionName` with
 *   `Payload` as the event and a Lambda `Context`, and answers the service's result shape
 *   (`{ Payload, StatusCode: 200, ExecutedVersion, ... }`); a Lambda ARN or bare function name as
 *   the Resource answers the payload itself; any other `arn:aws:states:::<service>:<action>` calls
 *   the caller's `services['<service>:<action>']` with the Parameters (the real SDK call against
 *   the local emulators, e.g. `dynamoDbServiceHandlers`). A Lambda error fails the state with the
 *   error's name as the ASL error and `{"errorType","errorMessage","trace"}` as the cause, as the
 *   service does. A Task whose handler is missing is refused when the machine is constructed.
 * - **`.waitForTaskToken`.** The library has no callback pattern. The run's context object carries
 *   a placeholder at `$$.Task.Token`; when a callback state starts, a fresh token is issued by a
 *   `TaskTokenBroker` (local/task-tokens.ts) and put in place of the placeholder in the Parameters
 *   the handler receives, the handler runs (its result is ignored, its error fails the state), and
 *   the state completes only on `sendTaskSuccess` / `sendTaskFailure`, or fails on its timeout or
 *   heartbeat timeout. Each attempt (retry) gets a new token; a token of a state that completed,
 *   timed out or whose execution ended answers `TaskTimedOut`, an unknown one `InvalidToken`.
 * - **Task timeouts and the clock.** The library's Task timeout defaults to 60 s (the service's
 *   to 99,999,999 s), evaluates `TimeoutSecondsPath` against the input after Parameters, and its
 *   timers are real seconds. Here the library's own Task timer is pushed out of reach and the
 *   runner times each attempt itself: `TimeoutSeconds`, or `TimeoutSecondsPath` resolved against
 *   the state's input (after InputPath, before Parameters), default 99,999,999 s; likewise
 *   `HeartbeatSeconds(Path)` for callback states (`States.HeartbeatTimeout`, restarted by
 *   `sendTaskHeartbeat`). A timeout fails the state with the library's own `States.Timeout` error,
 *   so `Catch` / `Retry` on `States.Timeout`, `States.ALL` and `States.TaskFailed` route exactly as
 *   the interpreter (and the service) do.
 *   **`timeScale`** multiplies every duration of the definition into real time: Task and heartbeat
 *   timeouts, Wait states (`Seconds`, `SecondsPath`, and the distance to `Timestamp(Path)`), Retry
 *   intervals and max delays, and the machine's `TimeoutSeconds`. `timeScale: 1` (default) is real
 *   time; `timeScale: 1e-5` runs a 1-hour SLA (3,600 s) in 36 ms. Wait states are run by this module
 *   (as Task states of the interpreter, shown as `Wait` in the history) so their dynamic durations
 *   scale too. A scaled duration beyond ≈ 24.8 days (`setTimeout`'s limit) never fires.
 * - **Executions by name.** `start(name, input)` is StartExecution's idempotency: the same name and
 *   input as a *running* execution returns that execution; another input, or any start under the
 *   name of a *closed* execution, throws `ExecutionAlreadyExists` (the service's rule: a Standard
 *   execution name is not reusable for 90 days). `describe` answers RUNNING, SUCCEEDED, FAILED,
 *   TIMED_OUT or ABORTED with output or error and cause; `history` the interpreter's event log;
 *   `stop` is StopExecution.
 * - **The service's wire protocol.** `serveStepFunctions` serves StartExecution, DescribeExecution,
 *   StopExecution, SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat over HTTP (AWS JSON 1.0),
 *   so the Lambda code that calls Step Functions through `@aws-sdk/client-sfn` (the scorer's
 *   escalation, the case API's decision) runs unchanged against `AWS_ENDPOINT_URL_SFN`.
 * - **Per-state context.** The interpreter's context object is fixed for a run. It holds
 *   `Execution` (Id, Name, Input, StartTime, RoleArn), `StateMachine` (Id, Name), `Map.Item` in a
 *   Map's ItemSelector, and stand-ins for `Task.Token`, `State.Name` and `State.EnteredTime`, which
 *   this module replaces in each Task's Parameters (EnteredTime: the attempt's start).
 *
 * Not emulated: JSONata definitions (the library has no JSONata), Activities, Express workflow
 * semantics, Distributed Map, `$$.State.RetryCount`, `$$.State.*` outside Task Parameters, and in
 * Parallel and Map branches `$$.Execution.Input` is the branch's input (a library quirk). `.sync`
 * integrations call their service handler and take its result as the completed job.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import type { Context as LambdaContext } from 'aws-lambda'
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions'
import { listenOn } from './listen.ts'
import { maxTimerMs, TaskError, TaskTokenBroker } from './task-tokens.ts'

export { InvalidOutput, InvalidToken, TaskError, TaskTimedOut, TaskTokenBroker } from './task-tokens.ts'

// ---------------------------------------------------------------------------------------------
// ASL

/** One state of an ASL definition, loosely typed: the interpreter validates it. */
export interface AslState {
  readonly Type: string
  readonly [field: string]: unknown
}

/** An ASL (Amazon States Language) definition. */
export interface AslDefinition {
  readonly StartAt: string
  readonly States: Readonly<Record<string, AslState>>
  readonly TimeoutSeconds?: number
  readonly [field: string]: unknown
}

// ---------------------------------------------------------------------------------------------
// The definition from the synthesized template

/** A reference inside the definition: `Ref`, `Fn::GetAtt` or `Fn::ImportValue`. */
export interface Reference {
  readonly kind: 'Ref' | 'GetAtt' | 'ImportValue'
  /** The logical id (or pseudo parameter, e.g. `AWS::Region`; for ImportValue, the export name). */
  readonly logicalId: string
  /** The attribute of a GetAtt, e.g. `Arn`. */
  readonly attribute?: string
  /** The resource's `Type` when `logicalId` names a resource of the template. */
  readonly resourceType?: string
  /** The resource's `Properties`, when it is one. */
  readonly properties?: Readonly<Record<string, unknown>>
}

/** Answers a reference with its value, or `undefined` to leave it to the default resolution. */
export type ReferenceResolver = (reference: Reference) => string | undefined

export interface TemplateOptions {
  /** Takes precedence over the default resolution, reference by reference. */
  readonly resolve?: ReferenceResolver
  /** For `AWS::Region` and the ARNs of the default resolution; default `us-east-1`. */
  readonly region?: string
  /** For `AWS::AccountId` and ARNs; default `123456789012` (moto's default account too). */
  readonly account?: string
  /** For `AWS::Partition`; default `aws`. */
  readonly partition?: string
}

export type StateMachineSelector = string | ((logicalId: string, resource: Readonly<Record<string, unknown>>) => boolean)

interface TemplateResource {
  readonly Type: string
  readonly Properties?: Record<string, unknown>
}

interface CfnTemplate {
  readonly Resources?: Record<string, TemplateResource>
  readonly Parameters?: Record<string, { Default?: unknown }>
}

/**
 * The ASL definition of an `AWS::StepFunctions::StateMachine` of a synthesized template
 * (`Template.fromStack(stack).toJSON()`, or a `cdk.out/*.template.json` parsed).
 *
 * `select`: the state machine's logical id, or a predicate; without it the template must hold
 * exactly one. `DefinitionString` (a string or `Fn::Join` / `Fn::Sub` of strings and references)
 * or an object `Definition` is resolved, then `DefinitionSubstitutions` (`${name}` placeholders)
 * are applied, and the text is parsed.
 *
 * References resolve through `options.resolve` first, then by default to what CloudFormation would
 * answer for a stack deployed in `region`/`account` with every resource named after its logical id
 * (unless its properties name it): a Lambda function's `Ref` is its name and `Arn` its ARN, so a
 * `lambda:invoke` state's `FunctionName` is `arn:aws:lambda:<region>:<account>:function:<logicalId>`
 * and `LocalStateMachine`'s `lambdas` are keyed by logical id (`stack.getLogicalId(fn.node.defaultChild)`);
 * a table's `Ref` is its name, a topic's its ARN, a queue's its URL; pseudo parameters and template
 * parameters (their `Default`) as expected. Conditions (`Fn::If`) are not supported.
 */
export function definitionFromTemplate(template: object, select?: StateMachineSelector, options: TemplateOptions = {}): AslDefinition {
  const cfn = template as CfnTemplate
  const resources = cfn.Resources ?? {}
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
  const chosen =
    select === undefined
      ? machines
      : machines.filter(([id, r]) => (typeof select === 'string' ? id === select : select(id, r as unknown as Record<string, unknown>)))
  const ids = machines.map(([id]) => id).join(', ') || 'none'
  if (chosen.length !== 1) {
    throw new Error(`definitionFromTemplate: ${chosen.length === 0 ? 'no' : 'more than one'} state machine matches (state machines: ${ids})`)
  }
  const [logicalId, machine] = chosen[0]!
  const properties = machine.Properties ?? {}
  const resolver = new IntrinsicResolver(cfn, options)

  let text: string
  if (properties.DefinitionString !== undefined) text = resolver.string(properties.DefinitionString)
  else if (properties.Definition !== undefined) text = JSON.stringify(resolver.value(properties.Definition))
  else throw new Error(`definitionFromTemplate: ${logicalId} has no DefinitionString or Definition (DefinitionS3Location is not supported)`)

  const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>
  for (const [name, value] of Object.entries(substitutions)) {
    text = text.replaceAll(`\${${name}}`, resolver.string(value))
  }
  const definition = JSON.parse(text) as AslDefinition
  if (typeof definition.StartAt !== 'string' || typeof definition.States !== 'object') {
    throw new Error(`definitionFromTemplate: ${logicalId} does not resolve to an ASL definition`)
  }
  return definition
}

class IntrinsicResolver {
  private readonly template: CfnTemplate
  private readonly resolve: ReferenceResolver | undefined
  private readonly region: string
  private readonly account: string
  private readonly partition: string

  constructor(template: CfnTemplate, options: TemplateOptions) {
    this.template = template
    this.resolve = options.resolve
    this.region = options.region ?? 'us-east-1'
    this.account = options.account ?? '123456789012'
    this.partition = options.partition ?? 'aws'
  }

  string(value: unknown): string {
    const resolved = this.value(value)
    if (typeof resolved === 'string') return resolved
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved)
    throw new Error(`definitionFromTemplate: expected a string, got ${JSON.stringify(resolved)}`)
  }

  value(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.value(v))
    if (value === null || typeof value !== 'object') return value
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 1) {
      const [key, arg] = entries[0]!
      switch (key) {
        case 'Ref':
          return this.reference({ kind: 'Ref', logicalId: String(arg) })
        case 'Fn::GetAtt': {
          const [id, ...attribute] = Array.isArray(arg) ? arg.map((a) => this.string(a)) : String(arg).split('.')
          return this.reference({ kind: 'GetAtt', logicalId: id!, attribute: attribute.join('.') })
        }
        case 'Fn::Join': {
          const [delimiter, list] = arg as [string, unknown]
          return (this.value(list) as unknown[]).map((part) => this.string(part)).join(delimiter)
        }
        case 'Fn::Sub': {
          const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}]
          return text.replace(/\$\{(!?)([^}]+)\}/g, (_whole, literal: string, name: string) => {
            if (literal) return `\${${name}}`
            if (name in variables) return this.string(variables[name])
            const dot = name.indexOf('.')
            return dot < 0
              ? this.reference({ kind: 'Ref', logicalId: name })
              : this.reference({ kind: 'GetAtt', logicalId: name.slice(0, dot), attribute: name.slice(dot + 1) })
          })
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown]
          const items = this.value(list) as unknown[]
          const chosen = items[Number(this.value(index))]
          if (chosen === undefined) throw new Error(`definitionFromTemplate: Fn::Select index out of range`)
          return chosen
        }
        case 'Fn::Split': {
          const [delimiter, text] = arg as [string, unknown]
          return this.string(text).split(delimiter)
        }
        case 'Fn::ImportValue':
          return this.reference({ kind: 'ImportValue', logicalId: this.string(arg) })
        default:
          if (key.startsWith('Fn::') || key === 'Condition') {
            throw new Error(`definitionFromTemplate: ${key} is not supported`)
          }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.value(v)]))
  }

  private reference(bare: Reference): string {
    const resource = this.template.Resources?.[bare.logicalId]
    const reference: Reference = resource
      ? { ...bare, resourceType: resource.Type, ...(resource.Properties ? { properties: resource.Properties } : {}) }
      : bare
    const custom = this.resolve?.(reference)
    if (custom !== undefined) return custom
    return this.defaultValue(reference)
  }

  private defaultValue(ref: Reference): string {
    const { region, account, partition } = this
    const id = ref.logicalId
    if (ref.kind === 'ImportValue') throw new Error(`definitionFromTemplate: no value for Fn::ImportValue ${id}: resolve it with options.resolve`)
    if (ref.kind === 'Ref') {
      switch (id) {
        case 'AWS::Region':
          return region
        case 'AWS::AccountId':
          return account
        case 'AWS::Partition':
          return partition
        case 'AWS::URLSuffix':
          return 'amazonaws.com'
        case 'AWS::StackName':
          return 'local'
        case 'AWS::StackId':
          return `arn:${partition}:cloudformation:${region}:${account}:stack/local/00000000-0000-0000-0000-000000000000`
      }
      const parameter = this.template.Parameters?.[id]
      if (parameter !== undefined) {
        if (parameter.Default === undefined) throw new Error(`definitionFromTemplate: parameter ${id} has no Default: resolve it with options.resolve`)
        return Array.isArray(parameter.Default) ? parameter.Default.join(',') : String(parameter.Default)
      }
    }
    if (ref.resourceType === undefined) throw new Error(`definitionFromTemplate: ${ref.kind} ${id} names nothing in the template`)
    const props = ref.properties ?? {}
    const named = (property: string) => (typeof props[property] === 'string' ? (props[property] as string) : id)
    const arn = (service: string, resource: string, inRegion = true) =>
      `arn:${partition}:${service}:${inRegion ? region : ''}:${account}:${resource}`
    const attribute = ref.kind === 'Ref' ? 'Ref' : ref.attribute
    const values: Record<string, Record<string, () => string>> = {
      'AWS::Lambda::Function': {
        Ref: () => named('FunctionName'),
        Arn: () => arn('lambda', `function:${named('FunctionName')}`),
      },
      'AWS::DynamoDB::Table': {
        Ref: () => named('TableName'),
        Arn: () => arn('dynamodb', `table/${named('TableName')}`),
        StreamArn: () => arn('dynamodb', `table/${named('TableName')}/stream/1970-01-01T00:00:00.000`),
      },
      'AWS::SNS::Topic': {
        Ref: () => arn('sns', named('TopicName')),
        TopicArn: () => arn('sns', named('TopicName')),
        TopicName: () => named('TopicName'),
      },
      'AWS::SQS::Queue': {
        Ref: () => `https://sqs.${region}.amazonaws.com/${account}/${named('QueueName')}`,
        QueueUrl: () => `https://sqs.${region}.amazonaws.com/${account}/${named('QueueName')}`,
        Arn: () => arn('sqs', named('QueueName')),
        QueueName: () => named('QueueName'),
      },
      'AWS::StepFunctions::StateMachine': {
        Ref: () => arn('states', `stateMachine:${named('StateMachineName')}`),
        Arn: () => arn('states', `stateMachine:${named('StateMachineName')}`),
        Name: () => named('StateMachineName'),
      },
      'AWS::Kinesis::Stream': {
        Ref: () => named('Name'),
        Arn: () => arn('kinesis', `stream/${named('Name')}`),
      },
      'AWS::Events::EventBus': {
        Ref: () => named('Name'),
        Name: () => named('Name'),
        Arn: () => arn('events', `event-bus/${named('Name')}`),
      },
      'AWS::IAM::Role': {
        Ref: () => named('RoleName'),
        Arn: () => arn('iam', `role/${named('RoleName')}`, false),
      },
      'AWS::SecretsManager::Secret': {
        Ref: () => arn('secretsmanager', `secret:${named('Name')}`),
      },
    }
    const make = values[ref.resourceType]?.[attribute ?? '']
    if (make) return make()
    return ref.kind === 'Ref' ? id : `${id}.${attribute}`
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers

/** A Lambda handler, called as the Lambda runtime calls it: `(event, context)`. */
export type LambdaHandler = (event: any, context: LambdaContext) => unknown

/** What a service-integration handler learns about the state it runs for. */
export interface ServiceTaskContext {
  readonly executionName: string
  readonly executionArn: string
  readonly stateName: string
  /** The state's Resource, e.g. `arn:aws:states:::dynamodb:putItem`. */
  readonly resource: string
  /** The task token, in a `.waitForTaskToken` state. */
  readonly taskToken?: string
}

/**
 * A service integration: called with the state's effective Parameters (the API request), answers
 * the API response. Throw an error whose `name` is the ASL error (e.g. `DynamoDB.ConditionalCheckFailedException`)
 * to fail the state.
 */
export type ServiceHandler = (parameters: any, context: ServiceTaskContext) => unknown

/**
 * DynamoDB's optimized integrations (`dynamodb:putItem`, `getItem`, `updateItem`, `deleteItem`),
 * performed with `client` (pointed at dynalite locally): the Parameters are the API request, the
 * result the API response, an error fails the state as `DynamoDB.<exception name>`.
 */
export function dynamoDbServiceHandlers(client: DynamoDBClient): Record<string, ServiceHandler> {
  const call = (send: (parameters: any) => Promise<object>): ServiceHandler =>
    async (parameters) => {
      try {
        const { $metadata: _metadata, ...response } = (await send(parameters)) as { $metadata?: unknown }
        return response
      } catch (error) {
        const { name, message } = error as Error
        throw new TaskError(`DynamoDB.${name}`, message)
      }
    }
  return {
    'dynamodb:putItem': call((p) => client.send(new PutItemCommand(p))),
    'dynamodb:getItem': call((p) => client.send(new GetItemCommand(p))),
    'dynamodb:updateItem': call((p) => client.send(new UpdateItemCommand(p))),
    'dynamodb:deleteItem': call((p) => client.send(new DeleteItemCommand(p))),
  }
}

// ---------------------------------------------------------------------------------------------
// Errors of the Step Functions API

function apiError(name: string, message: string): Error {
  const error = new Error(message)
  error.name = name
  return error
}

export const ExecutionAlreadyExists = 'ExecutionAlreadyExists'
export const ExecutionDoesNotExist = 'ExecutionDoesNotExist'
export const InvalidName = 'InvalidName'
export const InvalidExecutionInput = 'InvalidExecutionInput'

// ---------------------------------------------------------------------------------------------
// The runner

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED'

export interface ExecutionDescription {
  readonly executionArn: string
  readonly stateMachineArn: string
  readonly name: string
  readonly status: ExecutionStatus
  readonly startDate: Date
  readonly stopDate?: Date
  readonly input: unknown
  readonly output?: unknown
  readonly error?: string
  readonly cause?: string
}

/** An event of `history`: the interpreter's event log (StateEntered, StateExited, StateCaught, …). */
export interface HistoryEvent {
  readonly type: string
  readonly timestamp: number
  readonly state?: { readonly name: string; readonly type: string; readonly input: unknown; readonly output?: unknown }
  readonly [field: string]: unknown
}

export interface LocalStateMachineOptions {
  /** The state machine's name, in its ARN and its executions'; default `local`. */
  readonly name?: string
  readonly region?: string
  readonly account?: string
  readonly partition?: string
  /**
   * Lambda handlers by function name, or by full ARN. A `lambda:invoke` state's `FunctionName`
   * (an ARN, a partial ARN or a name, with or without a qualifier) or a Lambda ARN Resource is
   * matched exactly first, then by function name.
   */
  readonly lambdas?: Readonly<Record<string, LambdaHandler>>
  /** Service integrations by `<service>:<action>`: `dynamodb:putItem`, `sns:publish`, `sqs:sendMessage`, … */
  readonly services?: Readonly<Record<string, ServiceHandler>>
  /**
   * Real time per unit of definition time, for every duration of the definition (module doc):
   * 1 (default) is real time, `1e-5` makes an hour 36 ms.
   */
  readonly timeScale?: number
  /** Share one broker between machines (e.g. behind one `serveStepFunctions`); default a new one. */
  readonly broker?: TaskTokenBroker
  /** `$$.Execution.RoleArn`. */
  readonly roleArn?: string
}

/** The service's default Task timeout. */
const defaultTaskTimeoutSeconds = 99_999_999
/** Seconds the interpreter's own Task timer is set to: the longest `setTimeout` allows. */
const unreachableSeconds = Math.floor(maxTimerMs / 1000)
/** A Lambda invocation's time budget in its Context (the service's maximum). */
const lambdaTimeoutMs = 900_000
const waitResource = 'arn:aws:states:::local:wait'

type Integration =
  | { readonly kind: 'lambda-function'; readonly functionName: string }
  | { readonly kind: 'lambda-invoke' }
  | { readonly kind: 'service'; readonly key: string }

interface TaskSpec {
  readonly kind: 'task'
  readonly resource: string
  readonly integration: Integration
  readonly pattern: 'request-response' | 'callback' | 'sync'
  readonly timeoutSeconds: number | undefined
  readonly timeoutPath: boolean
  readonly heartbeatSeconds: number | undefined
  readonly heartbeatPath: boolean
  readonly functionName: string | undefined
}

interface WaitSpec {
  readonly kind: 'wait'
}

/** What the interpreter passes to a rewritten Task state's handler. */
interface Wrapped {
  readonly parameters: unknown
  readonly timeoutSeconds?: unknown
  readonly heartbeatSeconds?: unknown
  readonly seconds?: unknown
  readonly timestamp?: unknown
}

interface Execution {
  readonly name: string
  readonly arn: string
  readonly inputText: string
  readonly input: unknown
  readonly startDate: Date
  status: ExecutionStatus
  stopDate?: Date
  output?: unknown
  error?: string
  cause?: string
  stopRequest?: { error?: string; cause?: string }
  readonly events: HistoryEvent[]
  readonly tokens: Set<string>
  /** Aborted when the execution closes: ends the runner's own timers and waits. */
  readonly closed: AbortController
  readonly done: Promise<void>
  abort(): void
}

/**
 * Runs an ASL definition with aws-local-stepfunctions, Task states mapped to local handlers by
 * resource, with task tokens, scaled timeouts and executions by name (module doc).
 *
 *   const machine = new LocalStateMachine(definitionFromTemplate(template), {
 *     lambdas: { [stack.getLogicalId(openCase.node.defaultChild as CfnElement)]: openCaseHandler },
 *     services: dynamoDbServiceHandlers(dynamo),
 *     timeScale: 1e-4,
 *   })
 *   machine.start('case-1', { ... })
 *   machine.sendTaskSuccess(token, { verdict: 'fraud' })
 *   await machine.wait('case-1')    // { status: 'SUCCEEDED', output, ... }
 */
export class LocalStateMachine {
  readonly name: string
  readonly arn: string
  readonly definition: AslDefinition
  readonly broker: TaskTokenBroker
  private readonly options: LocalStateMachineOptions
  private readonly interpreter: StateMachine
  private readonly specs = new Map<string, TaskSpec | WaitSpec>()
  private readonly executions = new Map<string, Execution>()
  private readonly timeScale: number
  /** Stand-ins the context object holds for per-state values, replaced in each Task's Parameters. */
  private readonly placeholders = (() => {
    const prefix = `local-${randomUUID()}`
    return { token: `${prefix}-task-token`, stateName: `${prefix}-state-name`, enteredTime: `${prefix}-state-entered-time` }
  })()

  constructor(definition: AslDefinition, options: LocalStateMachineOptions = {}) {
    if (definition.QueryLanguage === 'JSONata') throw new Error('LocalStateMachine: JSONata definitions are not supported by the interpreter')
    // Validates the definition as written (asl-validator); ARNs are resolved by us, so not checked.
    new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } })
    const timeScale = options.timeScale ?? 1
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error('LocalStateMachine: timeScale must be a positive number')
    this.options = options
    this.timeScale = timeScale
    this.definition = definition
    this.name = options.name ?? 'local'
    this.arn = `arn:${options.partition ?? 'aws'}:states:${options.region ?? 'us-east-1'}:${options.account ?? '123456789012'}:stateMachine:${this.name}`
    this.broker = options.broker ?? new TaskTokenBroker()
    const prepared = this.prepare(definition, true)
    const missing = this.missingHandlers()
    if (missing.length > 0) throw new Error(`LocalStateMachine: no local handler for ${missing.join('; ')}`)
    this.interpreter = new StateMachine(prepared as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } })
    void timeoutErrorFactory() // probes the interpreter's timeout error type once, ahead of need
  }

  /**
   * StartExecution: starts `name` (a UUID when undefined) with `input` (a JSON value). The same name
   * and input as a running execution answers that execution; otherwise a used name throws
   * `ExecutionAlreadyExists`.
   */
  start(name: string | undefined, input: unknown = {}): { executionArn: string; startDate: Date } {
    const executionName = name ?? randomUUID()
    validateName(executionName)
    let inputText: string | undefined
    try {
      inputText = JSON.stringify(input)
    } catch {
      inputText = undefined
    }
    if (inputText === undefined) throw apiError(InvalidExecutionInput, 'Invalid State Machine Execution Input: not a JSON value')
    if (Buffer.byteLength(inputText) > 256 * 1024) throw apiError(InvalidExecutionInput, 'Invalid State Machine Execution Input: larger than 256 KiB')

    const existing = this.executions.get(executionName)
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.inputText === inputText) {
        return { executionArn: existing.arn, startDate: existing.startDate }
      }
      throw apiError(ExecutionAlreadyExists, `Execution Already Exists: '${existing.arn}'`)
    }
    const execution = this.launch(executionName, inputText)
    return { executionArn: execution.arn, startDate: execution.startDate }
  }

  /** DescribeExecution, by name or ARN. */
  describe(nameOrArn: string): ExecutionDescription {
    const e = this.execution(nameOrArn)
    return {
      executionArn: e.arn,
      stateMachineArn: this.arn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      input: e.input,
      ...(e.stopDate ? { stopDate: e.stopDate } : {}),
      ...(e.status === 'SUCCEEDED' ? { output: e.output } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    }
  }

  /** Waits until the execution is no longer RUNNING, then describes it. */
  async wait(nameOrArn: string): Promise<ExecutionDescription> {
    await this.execution(nameOrArn).done
    return this.describe(nameOrArn)
  }

  /** The interpreter's event log of the execution so far. */
  history(nameOrArn: string): readonly HistoryEvent[] {
    return [...this.execution(nameOrArn).events]
  }

  /** Names of the executions started, oldest first. */
  list(status?: ExecutionStatus): string[] {
    return [...this.executions.values()].filter((e) => status === undefined || e.status === status).map((e) => e.name)
  }

  /** True when `executionArn` is an execution of this machine. */
  hasExecution(executionArn: string): boolean {
    return [...this.executions.values()].some((e) => e.arn === executionArn)
  }

  /** StopExecution: a running execution ends ABORTED (its pending tokens then answer TaskTimedOut). */
  async stop(nameOrArn: string, details: { error?: string; cause?: string } = {}): Promise<{ stopDate: Date }> {
    const e = this.execution(nameOrArn)
    if (e.status === 'RUNNING') {
      e.stopRequest = details
      e.abort()
      await e.done
    }
    return { stopDate: e.stopDate ?? new Date() }
  }

  /** Stops every running execution. */
  async close(): Promise<void> {
    await Promise.all(this.list('RUNNING').map((name) => this.stop(name)))
  }

  /** SendTaskSuccess: the callback state holding `token` succeeds with `output`. */
  sendTaskSuccess(token: string, output: unknown): void {
    this.broker.sendTaskSuccess(token, output)
  }

  /** SendTaskFailure: the callback state holding `token` fails with `error` and `cause`. */
  sendTaskFailure(token: string, error?: string, cause?: string): void {
    this.broker.sendTaskFailure(token, error, cause)
  }

  /** SendTaskHeartbeat: restarts the heartbeat timeout of the state holding `token`. */
  sendTaskHeartbeat(token: string): void {
    this.broker.sendTaskHeartbeat(token)
  }

  /** Callback states waiting for their token (of one execution, or all of this machine's). */
  pendingTasks(nameOrArn?: string) {
    if (nameOrArn !== undefined) return this.broker.pending(this.execution(nameOrArn).name)
    const mine = new Set(this.executions.keys())
    return this.broker.pending().filter((task) => mine.has(task.executionName))
  }

  // -- executions -------------------------------------------------------------------------------

  private execution(nameOrArn: string): Execution {
    const byName = this.executions.get(nameOrArn)
    if (byName !== undefined) return byName
    for (const e of this.executions.values()) if (e.arn === nameOrArn) return e
    throw apiError(ExecutionDoesNotExist, `Execution Does Not Exist: '${nameOrArn}'`)
  }

  private launch(name: string, inputText: string): Execution {
    const input = JSON.parse(inputText) as unknown
    const arn = this.arn.replace(':stateMachine:', ':execution:') + `:${name}`
    const { promise: done, resolve: finished } = Promise.withResolvers<void>()
    const execution: Execution = {
      name,
      arn,
      inputText,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      events: [],
      tokens: new Set(),
      closed: new AbortController(),
      done,
      abort: () => {},
    }
    this.executions.set(name, execution)

    const handlers: Record<string, (input: any) => Promise<any>> = {}
    for (const [stateName, spec] of this.specs) {
      handlers[stateName] = (wrapped: Wrapped) =>
        spec.kind === 'task' ? this.runTask(execution, stateName, spec, wrapped) : this.runWait(execution, wrapped)
    }
    const run = this.interpreter.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        Execution: { Id: arn, Name: name, ...(this.options.roleArn ? { RoleArn: this.options.roleArn } : {}) },
        StateMachine: { Id: this.arn, Name: this.name },
        State: { Name: this.placeholders.stateName, EnteredTime: this.placeholders.enteredTime },
        Task: { Token: this.placeholders.token },
      },
    })
    execution.abort = run.abort
    void this.record(execution, run.eventLogs as AsyncIterable<HistoryEvent>)

    run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED'
        execution.output = output
      },
      (error: unknown) => {
        if (error instanceof ExecutionTimeoutError) {
          execution.status = 'TIMED_OUT'
        } else if (error instanceof ExecutionAbortedError) {
          execution.status = 'ABORTED'
          if (execution.stopRequest?.error !== undefined) execution.error = execution.stopRequest.error
          if (execution.stopRequest?.cause !== undefined) execution.cause = execution.stopRequest.cause
        } else {
          const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : (error as Error)
          execution.status = 'FAILED'
          execution.error = failure.name
          execution.cause = failure.message
        }
      },
    ).finally(() => {
      execution.stopDate = new Date()
      execution.closed.abort()
      for (const token of execution.tokens) this.broker.close(token, 'closed')
      finished()
    })
    return execution
  }

  private async record(execution: Execution, events: AsyncIterable<HistoryEvent>): Promise<void> {
    for await (const event of events) {
      const state = event.state
      const wait = state !== undefined && this.specs.get(state.name)?.kind === 'wait'
      execution.events.push(wait ? { ...event, state: { ...state, type: 'Wait' } } : event)
    }
  }

  // -- states ------------------------------------------------------------------------------------

  private async runTask(execution: Execution, stateName: string, spec: TaskSpec, wrapped: Wrapped): Promise<unknown> {
    const timeoutSeconds =
      spec.timeoutSeconds ?? (spec.timeoutPath ? positiveInteger(wrapped.timeoutSeconds, stateName, 'TimeoutSecondsPath') : defaultTaskTimeoutSeconds)
    const heartbeatSeconds =
      spec.pattern !== 'callback'
        ? undefined
        : spec.heartbeatSeconds ?? (spec.heartbeatPath ? positiveInteger(wrapped.heartbeatSeconds, stateName, 'HeartbeatSecondsPath') : undefined)
    const timeoutMs = this.realMs(timeoutSeconds)
    const deadline = Date.now() + Math.min(timeoutMs, lambdaTimeoutMs)

    const { placeholders } = this
    let parameters = replaceText(
      replaceText(wrapped.parameters, placeholders.stateName, stateName),
      placeholders.enteredTime,
      new Date().toISOString(),
    )
    let token: string | undefined
    if (spec.pattern === 'callback') {
      const withoutToken = parameters
      token = this.broker.issue({
        executionName: execution.name,
        stateName,
        payload: (issued) => (parameters = replaceText(withoutToken, placeholders.token, issued)),
        ...(heartbeatSeconds === undefined ? {} : { heartbeatMs: this.realMs(heartbeatSeconds) }),
      })
      execution.tokens.add(token)
    }
    const context: ServiceTaskContext = {
      executionName: execution.name,
      executionArn: execution.arn,
      stateName,
      resource: spec.resource,
      ...(token === undefined ? {} : { taskToken: token }),
    }
    const work = this.invoke(spec, parameters, context, deadline)
    let outcome: Promise<unknown> = work
    if (token !== undefined) {
      const issued = token
      outcome = Promise.race([
        this.broker.settled(issued),
        work.then(
          () => this.broker.settled(issued),
          (error: unknown) => {
            this.broker.close(issued, 'closed')
            throw error
          },
        ),
      ])
    }
    const result = await within(outcome, timeoutMs, execution.closed.signal)
    if (result === timedOut) {
      if (token !== undefined) this.broker.close(token, 'timed-out')
      throw await statesTimeoutError()
    }
    return result
  }

  private async runWait(execution: Execution, wrapped: Wrapped): Promise<unknown> {
    let ms: number
    if (wrapped.seconds !== undefined) {
      const seconds = wrapped.seconds
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw statesRuntimeError(`The Wait state's seconds must be a non-negative integer, got ${JSON.stringify(seconds)}`)
      }
      ms = this.realMs(seconds)
    } else {
      const at = Date.parse(String(wrapped.timestamp))
      if (Number.isNaN(at)) throw statesRuntimeError(`The Wait state's timestamp is not a timestamp: ${JSON.stringify(wrapped.timestamp)}`)
      ms = Math.max(0, (at - Date.now()) * this.timeScale)
    }
    await within(new Promise<never>(() => {}), ms, execution.closed.signal)
    return wrapped.parameters
  }

  private async invoke(spec: TaskSpec, parameters: unknown, context: ServiceTaskContext, deadline: number): Promise<unknown> {
    const integration = spec.integration
    if (integration.kind === 'lambda-function') {
      return this.callLambda(integration.functionName, parameters, deadline)
    }
    if (integration.kind === 'lambda-invoke') {
      const request = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown; InvocationType?: unknown }
      const functionName = String(request.FunctionName)
      const event = request.Payload === undefined ? {} : request.Payload
      if (request.InvocationType === 'Event') {
        this.callLambda(functionName, event, deadline).catch(() => {})
        return { Payload: '', StatusCode: 202, SdkHttpMetadata: { HttpStatusCode: 202 }, SdkResponseMetadata: { RequestId: randomUUID() } }
      }
      const payload = await this.callLambda(functionName, event, deadline)
      return {
        ExecutedVersion: '$LATEST',
        Payload: payload,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: randomUUID() },
        StatusCode: 200,
      }
    }
    const handler = this.options.services?.[integration.key]
    if (handler === undefined) throw new TaskError('States.Runtime', `no local handler for ${integration.key}`)
    return jsonCopy(await handler(jsonCopy(parameters), context))
  }

  private async callLambda(functionName: string, event: unknown, deadline: number): Promise<unknown> {
    const found = this.lambdaFor(functionName)
    if (found === undefined) {
      throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${functionName} (no local handler)`)
    }
    const [name, handler] = found
    const context = lambdaContext(name, this.lambdaArn(name), deadline)
    let output: unknown
    try {
      output = await handler(jsonCopy(event), context)
    } catch (error) {
      const { name: errorType = 'Error', message: errorMessage = String(error), stack = '' } = (error ?? {}) as Error
      const cause = JSON.stringify({ errorType, errorMessage, trace: stack.split('\n') })
      throw new TaskError(errorType, cause)
    }
    return output === undefined ? null : jsonCopy(output)
  }

  private lambdaFor(functionName: string): [string, LambdaHandler] | undefined {
    const lambdas = this.options.lambdas ?? {}
    const exact = lambdas[functionName]
    if (exact) return [functionName, exact]
    const name = lambdaName(functionName)
    const byName = lambdas[name]
    return byName ? [name, byName] : undefined
  }

  private lambdaArn(name: string): string {
    return this.arn.replace(':states:', ':lambda:').replace(/:stateMachine:.*$/, `:function:${name}`)
  }

  private realMs(seconds: number): number {
    return seconds * 1000 * this.timeScale
  }

  // -- the definition handed to the interpreter -------------------------------------------------

  /**
   * A copy of `definition` for the interpreter: durations scaled, the interpreter's own Task timer
   * out of reach, each Task's Parameters wrapped so its handler also receives the resolved
   * TimeoutSecondsPath / HeartbeatSecondsPath, and Wait states turned into Task states run here.
   */
  private prepare(definition: AslDefinition, root: boolean): AslDefinition {
    const states: Record<string, AslState> = {}
    for (const [name, state] of Object.entries(definition.States)) {
      if (this.specs.has(name)) throw new Error(`LocalStateMachine: state name ${name} is used twice`)
      states[name] = this.prepareState(name, state)
    }
    const copy: Record<string, unknown> = { ...definition, States: states }
    if (root && typeof definition.TimeoutSeconds === 'number') {
      const seconds = definition.TimeoutSeconds * this.timeScale
      if (seconds * 1000 <= maxTimerMs) copy.TimeoutSeconds = seconds
      else delete copy.TimeoutSeconds
    }
    return copy as unknown as AslDefinition
  }

  private prepareState(name: string, state: AslState): AslState {
    const copy: Record<string, unknown> = { ...state }
    if (Array.isArray(state.Retry)) {
      copy.Retry = (state.Retry as Array<Record<string, unknown>>).map((retrier) => ({
        ...retrier,
        IntervalSeconds: ((retrier.IntervalSeconds as number | undefined) ?? 1) * this.timeScale,
        ...(typeof retrier.MaxDelaySeconds === 'number' ? { MaxDelaySeconds: retrier.MaxDelaySeconds * this.timeScale } : {}),
      }))
    }
    switch (state.Type) {
      case 'Parallel':
        copy.Branches = (state.Branches as AslDefinition[]).map((branch) => this.prepare(branch, false))
        break
      case 'Map':
        for (const field of ['Iterator', 'ItemProcessor'] as const) {
          if (state[field] !== undefined) copy[field] = this.prepare(state[field] as AslDefinition, false)
        }
        break
      case 'Task': {
        const resource = String(state.Resource)
        const { integration, pattern } = parseResource(resource)
        const parameters = state.Parameters as Record<string, unknown> | undefined
        const functionName = integration.kind === 'lambda-invoke' && typeof parameters?.FunctionName === 'string' ? parameters.FunctionName : undefined
        this.specs.set(name, {
          kind: 'task',
          resource,
          integration,
          pattern,
          timeoutSeconds: typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined,
          timeoutPath: typeof state.TimeoutSecondsPath === 'string',
          heartbeatSeconds: typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined,
          heartbeatPath: typeof state.HeartbeatSecondsPath === 'string',
          functionName,
        })
        for (const field of ['TimeoutSeconds', 'TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath']) delete copy[field]
        copy.TimeoutSeconds = unreachableSeconds
        copy.Parameters = {
          ...('Parameters' in state ? { parameters: state.Parameters } : { 'parameters.$': '$' }),
          ...(typeof state.TimeoutSecondsPath === 'string' ? { 'timeoutSeconds.$': state.TimeoutSecondsPath } : {}),
          ...(typeof state.HeartbeatSecondsPath === 'string' ? { 'heartbeatSeconds.$': state.HeartbeatSecondsPath } : {}),
        }
        break
      }
      case 'Wait': {
        this.specs.set(name, { kind: 'wait' })
        const duration =
          state.Seconds !== undefined
            ? { seconds: state.Seconds }
            : state.SecondsPath !== undefined
              ? { 'seconds.$': state.SecondsPath }
              : state.Timestamp !== undefined
                ? { timestamp: state.Timestamp }
                : { 'timestamp.$': state.TimestampPath }
        for (const field of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) delete copy[field]
        Object.assign(copy, {
          Type: 'Task',
          Resource: waitResource,
          TimeoutSeconds: unreachableSeconds,
          Parameters: { 'parameters.$': '$', ...duration },
        })
        break
      }
    }
    return copy as AslState
  }

  private missingHandlers(): string[] {
    const missing: string[] = []
    for (const [name, spec] of this.specs) {
      if (spec.kind !== 'task') continue
      const { integration } = spec
      if (integration.kind === 'lambda-function' && !this.lambdaFor(integration.functionName)) {
        missing.push(`${name}: Lambda ${integration.functionName}`)
      } else if (integration.kind === 'lambda-invoke' && spec.functionName !== undefined && !this.lambdaFor(spec.functionName)) {
        missing.push(`${name}: Lambda ${spec.functionName}`)
      } else if (integration.kind === 'service' && !this.options.services?.[integration.key]) {
        missing.push(`${name}: service ${integration.key}`)
      }
    }
    return missing
  }
}

function parseResource(resource: string): { integration: Integration; pattern: TaskSpec['pattern'] } {
  const states = /^arn:[^:]+:states:[^:]*:[^:]*:(.+)$/.exec(resource)
  if (states) {
    let rest = states[1]!
    let pattern: TaskSpec['pattern'] = 'request-response'
    if (rest.endsWith('.waitForTaskToken')) {
      pattern = 'callback'
      rest = rest.slice(0, -'.waitForTaskToken'.length)
    } else if (/\.sync(:\d+)?$/.test(rest)) {
      pattern = 'sync'
      rest = rest.replace(/\.sync(:\d+)?$/, '')
    }
    if (rest === 'lambda:invoke') return { integration: { kind: 'lambda-invoke' }, pattern }
    return { integration: { kind: 'service', key: rest }, pattern }
  }
  return { integration: { kind: 'lambda-function', functionName: resource }, pattern: 'request-response' }
}

/** The function name in a Lambda ARN, partial ARN (`123456789012:function:name`) or name, without qualifier. */
function lambdaName(nameOrArn: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(nameOrArn)
  if (match) return match[1]!
  return nameOrArn.split(':')[0]!
}

function lambdaContext(functionName: string, arn: string, deadline: number): LambdaContext {
  const requestId = randomUUID()
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }
}

function validateName(name: string): void {
  // The service's rule: 1–80 characters, none of whitespace, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /
  // and no control characters.
  if (name.length < 1 || name.length > 80 || /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw apiError(InvalidName, `Invalid Name: '${name}'`)
  }
}

function positiveInteger(value: unknown, stateName: string, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  throw statesRuntimeError(`${field} of state ${stateName} must select a positive integer, got ${JSON.stringify(value)}`)
}

/** An error that neither Retry nor Catch can match, as States.Runtime (the interpreter's contract). */
function statesRuntimeError(message: string): Error {
  return Object.assign(new TaskError('States.Runtime', message), { isRetryable: false, isCatchable: false })
}

function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T)
}

/** `value` with every occurrence of `placeholder` inside its strings replaced by `by`. */
function replaceText(value: unknown, placeholder: string, by: string): unknown {
  if (typeof value === 'string') return value.replaceAll(placeholder, by)
  if (Array.isArray(value)) return value.map((v) => replaceText(v, placeholder, by))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceText(v, placeholder, by)]))
  }
  return value
}

const timedOut = Symbol('timed out')

/** `work`'s outcome, or `timedOut` after `ms`; rejects when `signal` aborts (the execution closed). */
function within<T>(work: Promise<T>, ms: number, signal: AbortSignal): Promise<T | typeof timedOut> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('execution closed'))
    const timer = ms <= maxTimerMs ? setTimeout(() => settle(() => resolve(timedOut)), ms) : undefined
    const onAbort = () => settle(() => reject(new Error('execution closed')))
    signal.addEventListener('abort', onAbort, { once: true })
    const settle = (then: () => void) => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      then()
    }
    work.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    )
  })
}

let timeoutErrorType: Promise<() => Error> | undefined

/**
 * A `States.Timeout` error of the interpreter's own class: its `States.TaskFailed` matcher tells a
 * timeout apart by class, not by name. The class is not exported, so it is taken, once, from a
 * one-state probe run whose Task times out after 1 ms.
 */
async function statesTimeoutError(): Promise<Error> {
  return (await timeoutErrorFactory())()
}

function timeoutErrorFactory(): Promise<() => Error> {
  return (timeoutErrorType ??= (async () => {
    const probe = new StateMachine(
      { StartAt: 'Probe', States: { Probe: { Type: 'Task', Resource: waitResource, TimeoutSeconds: 0.001, End: true } } } as never,
      { validationOptions: { noValidate: true } },
    )
    const run = probe.run(null, { overrides: { taskResourceLocalHandlers: { Probe: () => new Promise<never>(() => {}) } } })
    const error = await run.result.then(
      () => undefined,
      (e: unknown) => (e as Error).cause,
    )
    // The service reports a task timeout with an empty cause.
    if (error instanceof Error && error.name === 'States.Timeout') {
      const Type = error.constructor as new () => Error
      return () => Object.assign(new Type(), { message: '' })
    }
    return () => new TaskError('States.Timeout', '')
  })())
}

// ---------------------------------------------------------------------------------------------
// The service's wire protocol

export interface StepFunctionsEndpoint {
  /** e.g. `http://127.0.0.1:53121`: `AWS_ENDPOINT_URL_SFN`, or an `SFNClient`'s `endpoint`. */
  readonly endpoint: string
  stop(): Promise<void>
}

/**
 * Serves `machines` over the Step Functions API (AWS JSON 1.0, as `@aws-sdk/client-sfn` speaks it):
 * StartExecution, DescribeExecution, StopExecution, SendTaskSuccess, SendTaskFailure,
 * SendTaskHeartbeat. Errors answer the service's error types (`ExecutionAlreadyExists`,
 * `TaskTimedOut`, `InvalidToken`, …), which the SDK raises as exceptions of those names.
 * Credentials are not checked.
 */
export async function serveStepFunctions(
  machines: readonly LocalStateMachine[],
  options: { port?: number; host?: string } = {},
): Promise<StepFunctionsEndpoint> {
  const host = options.host ?? '127.0.0.1'
  const byArn = (arn: unknown) => {
    const machine = machines.find((m) => m.arn === arn)
    if (!machine) throw apiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`)
    return machine
  }
  const byExecution = (arn: unknown) => {
    const machine = machines.find((m) => m.hasExecution(String(arn)))
    if (!machine) throw apiError(ExecutionDoesNotExist, `Execution Does Not Exist: '${String(arn)}'`)
    return machine
  }
  const byToken = (token: unknown) => {
    const machine = machines.find((m) => m.broker.owns(String(token)))
    return machine ?? machines[0]!
  }
  const seconds = (date: Date | undefined) => (date === undefined ? undefined : date.getTime() / 1000)
  const parseJson = (text: unknown, what: string, errorType: string) => {
    if (text === undefined) return undefined
    try {
      return JSON.parse(String(text)) as unknown
    } catch {
      throw apiError(errorType, `${what} is not valid JSON`)
    }
  }

  const operations: Record<string, (body: Record<string, unknown>) => Promise<unknown> | unknown> = {
    StartExecution: (b) => {
      const input = parseJson(b.input, 'Invalid State Machine Execution Input', InvalidExecutionInput) ?? {}
      const { executionArn, startDate } = byArn(b.stateMachineArn).start(b.name as string | undefined, input)
      return { executionArn, startDate: seconds(startDate) }
    },
    DescribeExecution: (b) => {
      const d = byExecution(b.executionArn).describe(String(b.executionArn))
      return {
        executionArn: d.executionArn,
        stateMachineArn: d.stateMachineArn,
        name: d.name,
        status: d.status,
        startDate: seconds(d.startDate),
        stopDate: seconds(d.stopDate),
        input: JSON.stringify(d.input),
        output: d.status === 'SUCCEEDED' ? JSON.stringify(d.output) : undefined,
        error: d.error,
        cause: d.cause,
      }
    },
    StopExecution: async (b) => {
      const details = {
        ...(typeof b.error === 'string' ? { error: b.error } : {}),
        ...(typeof b.cause === 'string' ? { cause: b.cause } : {}),
      }
      const { stopDate } = await byExecution(b.executionArn).stop(String(b.executionArn), details)
      return { stopDate: seconds(stopDate) }
    },
    SendTaskSuccess: (b) => {
      const output = parseJson(b.output, 'Invalid Output', 'InvalidOutput')
      byToken(b.taskToken).sendTaskSuccess(String(b.taskToken), output)
      return {}
    },
    SendTaskFailure: (b) => {
      byToken(b.taskToken).sendTaskFailure(String(b.taskToken), b.error as string | undefined, b.cause as string | undefined)
      return {}
    },
    SendTaskHeartbeat: (b) => {
      byToken(b.taskToken).sendTaskHeartbeat(String(b.taskToken))
      return {}
    },
  }

  const server: Server = createServer((request, response) => {
    // Reading the body rejects when the client goes away mid-request, or when stop() closes the
    // connection under it: nobody is left to answer.
    handle(request, response).catch(() => response.destroy())
  })
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const target = String(request.headers['x-amz-target'] ?? '')
    const operation = operations[target.replace(/^AWSStepFunctions\./, '')]
    let status = 200
    let body: unknown
    try {
      if (!operation) throw apiError('UnknownOperationException', `Unsupported operation: ${target}`)
      const text = Buffer.concat(chunks).toString('utf8')
      body = await operation(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>))
    } catch (error) {
      const { name, message } = error as Error
      status = name === 'Error' || name === 'TypeError' || name === 'SyntaxError' ? 500 : 400
      body = { __type: status === 500 ? 'InternalFailure' : name, message }
      response.setHeader('x-amzn-errortype', (body as { __type: string }).__type)
    }
    const payload = JSON.stringify(body)
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
    })
    response.end(payload)
  }

  const { port } = await listenOn(server, options.port ?? 0, host)
  let stopping: Promise<void> | undefined
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })),
  }
}

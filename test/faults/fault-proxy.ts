/**
 * A fault-injecting HTTP proxy on loopback, in front of one AWS-compatible endpoint (dynalite,
 * kinesalite, the local Step Functions): each request is forwarded as is, or first delayed, or
 * answered with the service's own throttling error or a 500, or cut by a connection reset before
 * or after it reached the emulator (in the second case the emulator applied it, the caller never
 * hears so). What happens to the nth request follows from the seed alone, so a run's fault
 * schedule is reproducible; which request is the nth depends on the concurrency of the callers.
 */
import { once } from 'node:events'
import { Agent, createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Random } from '../../local/traffic/random.ts'

export const faultKinds = ['latency', 'throttle', 'serverError', 'resetBeforeForward', 'resetAfterForward'] as const
export type FaultKind = (typeof faultKinds)[number]
export type FaultCounts = Record<FaultKind, number>

export type Service = 'dynamodb' | 'kinesis' | 'stepfunctions'

/** The chance of each fault per eligible request (the rest are forwarded untouched). */
export type FaultRates = Partial<Record<FaultKind, number>>

export interface FaultPlan {
  readonly rates: FaultRates
  /** Operations (the `X-Amz-Target` action, e.g. `PutItem`) faults may hit; default all. */
  readonly operations?: readonly string[]
  /** Injected latency, uniform in [min, max] ms; default [5, 40]. */
  readonly latencyMs?: readonly [number, number]
  /** Throttling storms: in every `every` eligible requests, the first `length` use `rates`. */
  readonly storm?: { readonly every: number; readonly length: number; readonly rates: FaultRates }
}

/** What the proxy tells an observer about a request it is about to forward. */
export interface Forwarding {
  readonly operation: string
  /** The caller's `AWS_SDK_UA_APP_ID`, when it set one (which worker sent it). */
  readonly appId: string | undefined
}

/**
 * An observer's say over one request, on top of the plan: `killBefore` resets it unforwarded,
 * `killAfter` forwards it and resets it once the emulator has answered. Either way `then` runs at
 * the reset (a worker is killed there).
 */
export type Intervention = { readonly at: 'killBefore' | 'killAfter'; readonly then: () => void } | undefined

export interface FaultProxy {
  readonly url: string
  /** Faults injected so far, by kind. */
  readonly injected: Readonly<FaultCounts>
  /** Requests forwarded to the emulator so far, by operation. */
  readonly forwarded: ReadonlyMap<string, number>
  setPlan(plan: FaultPlan): void
  observe(observer: ((request: Forwarding) => Intervention) | undefined): void
  stop(): Promise<void>
}

const noFaults: FaultPlan = { rates: {} }

export async function startFaultProxy(options: { target: string; service: Service; seed: number }): Promise<FaultProxy> {
  const target = new URL(options.target)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const random = new Random(options.seed)
  const contentType = options.service === 'kinesis' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0'
  const injected = Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as FaultCounts
  const forwarded = new Map<string, number>()
  let plan = noFaults
  let eligible = 0
  let observer: ((request: Forwarding) => Intervention) | undefined

  /** Draws this request's fault; one draw per eligible request keeps the schedule seed-determined. */
  const draw = (operation: string): FaultKind | undefined => {
    if (plan.operations !== undefined && !plan.operations.includes(operation)) return undefined
    const n = eligible++
    const rates = plan.storm !== undefined && n % plan.storm.every < plan.storm.length ? plan.storm.rates : plan.rates
    let roll = random.next()
    for (const kind of faultKinds) {
      const rate = rates[kind] ?? 0
      if (roll < rate) return kind
      roll -= rate
    }
    return undefined
  }

  const upstream = (incoming: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; payload: Buffer }>((resolve, reject) => {
      const outgoing = forward(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent },
        (answer) => {
          const chunks: Buffer[] = []
          answer.on('data', (chunk: Buffer) => chunks.push(chunk))
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, payload: Buffer.concat(chunks) }))
          answer.on('error', reject)
        },
      )
      outgoing.on('error', reject)
      outgoing.end(body)
    })

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of incoming) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const operation = String(incoming.headers['x-amz-target'] ?? '').replace(/^.*\./, '')
    const intervention = observer?.({ operation, appId: appIdOf(incoming.headers['user-agent'], incoming.headers['x-amz-user-agent']) })
    const fault = intervention === undefined ? draw(operation) : undefined
    if (fault !== undefined) injected[fault]++
    if (intervention?.at === 'killBefore' || fault === 'resetBeforeForward') {
      intervention?.then()
      return void incoming.socket.destroy()
    }
    if (fault === 'throttle') return answer(response, 400, throttlingError(options.service, eligible), contentType)
    if (fault === 'serverError') return answer(response, 500, { __type: 'InternalFailure', message: 'We encountered an internal error. Please try again.' }, contentType)
    if (fault === 'latency') {
      const [min, max] = plan.latencyMs ?? [5, 40]
      await sleep(random.int(min, max))
    }
    const reply = await upstream(incoming, body)
    forwarded.set(operation, (forwarded.get(operation) ?? 0) + 1)
    if (intervention?.at === 'killAfter' || fault === 'resetAfterForward') {
      intervention?.then()
      return void incoming.socket.destroy()
    }
    response.writeHead(reply.status, reply.headers)
    response.end(reply.payload)
  }

  const server: Server = createServer((incoming, response) => {
    handle(incoming, response).catch(() => incoming.socket.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    forwarded,
    setPlan: (next) => void (plan = next),
    observe: (next) => void (observer = next),
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      agent.destroy()
      await closed
    },
  }
}

function answer(response: ServerResponse, status: number, error: { __type: string; message: string }, contentType: string): void {
  const payload = JSON.stringify(error)
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'x-amzn-errortype': error.__type.replace(/^.*#/, '') })
  response.end(payload)
}

/**
 * The throttling error each service sends, as its wire protocol spells it: DynamoDB (JSON 1.0)
 * answers either of its two throttling types with the namespace in `__type`; Kinesis (JSON 1.1)
 * a bare `ProvisionedThroughputExceededException`; Step Functions a `ThrottlingException`.
 */
function throttlingError(service: Service, n: number): { __type: string; message: string } {
  if (service === 'kinesis') return { __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard shardId-000000000000 in stream vigil-transactions under account 000000000000.' }
  if (service === 'stepfunctions') return { __type: 'ThrottlingException', message: 'Rate exceeded' }
  return n % 2 === 0
    ? { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.' }
    : { __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }
}

function appIdOf(...headers: Array<string | string[] | undefined>): string | undefined {
  for (const header of headers) {
    const match = /(?:^|\s)app\/([^\s]+)/.exec(String(header ?? ''))
    if (match) return match[1]
  }
  return undefined
}

/**
 * Task tokens: the callback half of a `.waitForTaskToken` Task state, as Step Functions keeps it.
 *
 * The runner (local/state-machine.ts) issues a token when such a state starts, hands it to the
 * task's handler inside the Parameters (where the definition says `$$.Task.Token`), and waits on
 * `settled(token)`. Whoever holds the token (an analyst's decision through the case API, a test)
 * ends the wait with `sendTaskSuccess` / `sendTaskFailure`, or keeps it alive with
 * `sendTaskHeartbeat`. The broker holds the same states and answers the same errors as the
 * service:
 *
 * | call on a token that is                | answer                                              |
 * | -------------------------------------- | --------------------------------------------------- |
 * | pending                                | accepted: the state succeeds / fails with it        |
 * | already succeeded or failed            | `TaskTimedOut` ("Provided task does not exist anymore") |
 * | timed out (state or heartbeat timeout) | `TaskTimedOut`                                      |
 * | of an execution that ended or stopped  | `TaskTimedOut`                                      |
 * | never issued here                      | `InvalidToken`                                      |
 * | success with an output that is not JSON | `InvalidOutput` (the token stays pending)          |
 *
 * Heartbeats: with `heartbeatMs`, a token not heartbeaten (or completed) within that many
 * milliseconds fails its state with `States.HeartbeatTimeout`; every `sendTaskHeartbeat` restarts
 * the count. The state's overall timeout (`States.Timeout`) is the runner's, which calls
 * `close(token, 'timed-out')` when it fires.
 *
 * Errors carry the service's error names (`error.name`), so code that catches the SDK's
 * `TaskTimedOut` by name behaves the same locally.
 */
import { randomBytes } from 'node:crypto'

export class TaskTimedOut extends Error {
  constructor(message = "Task Timed Out: 'Provided task does not exist anymore'") {
    super(message)
    this.name = 'TaskTimedOut'
  }
}

export class InvalidToken extends Error {
  constructor(message = 'Invalid Token') {
    super(message)
    this.name = 'InvalidToken'
  }
}

export class InvalidOutput extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidOutput'
  }
}

/**
 * The failure of a state, as Step Functions reports it: `name` is the ASL error name that
 * `Retry`/`Catch` match (`States.HeartbeatTimeout`, a SendTaskFailure `error`, a Lambda
 * `errorType`), `message` is its cause.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause)
    this.name = error
  }
}

export type TokenStatus = 'pending' | 'succeeded' | 'failed' | 'timed-out' | 'closed'

export interface IssuedTask {
  readonly token: string
  readonly executionName: string
  readonly stateName: string
  readonly issuedAt: Date
  /** The Parameters the task's handler received (with the token in them). */
  readonly payload?: unknown
}

export interface IssueOptions {
  readonly executionName: string
  readonly stateName: string
  /** The Parameters the task's handler receives, made from the new token (kept for `pending()`). */
  readonly payload?: (token: string) => unknown
  /** Fail with `States.HeartbeatTimeout` after this many ms without a heartbeat. */
  readonly heartbeatMs?: number
}

export interface TaskTokenBrokerOptions {
  /** Makes a new token; default 96 random bytes in base64url (128 characters, like the service's). */
  readonly generate?: () => string
}

interface TokenRecord {
  status: TokenStatus
  readonly task: IssuedTask
  readonly heartbeatMs: number | undefined
  heartbeat: NodeJS.Timeout | undefined
  readonly promise: Promise<unknown>
  resolve(value: unknown): void
  reject(error: Error): void
}

/** Longest delay `setTimeout` honours (≈ 24.8 days); a longer one would fire at once. */
export const maxTimerMs = 2 ** 31 - 1

export class TaskTokenBroker {
  private readonly records = new Map<string, TokenRecord>()
  private readonly generate: () => string

  constructor(options: TaskTokenBrokerOptions = {}) {
    this.generate = options.generate ?? (() => randomBytes(96).toString('base64url'))
  }

  /** Issues a pending token; `settled(token)` then waits for its outcome. */
  issue(options: IssueOptions): string {
    let token = this.generate()
    while (this.records.has(token)) token = this.generate()
    const { promise, resolve, reject } = Promise.withResolvers<unknown>()
    // The state's handler may stop listening (it timed out, the execution stopped): a rejection
    // nobody awaits any more is expected, not an unhandled one.
    promise.catch(() => {})
    const record: TokenRecord = {
      status: 'pending',
      task: {
        token,
        executionName: options.executionName,
        stateName: options.stateName,
        issuedAt: new Date(),
        ...(options.payload === undefined ? {} : { payload: options.payload(token) }),
      },
      heartbeatMs: options.heartbeatMs,
      heartbeat: undefined,
      promise,
      resolve,
      reject,
    }
    this.records.set(token, record)
    this.armHeartbeat(record)
    return token
  }

  /** The outcome of a token: its output, or a `TaskError` (SendTaskFailure, heartbeat timeout). */
  settled(token: string): Promise<unknown> {
    return this.record(token).promise
  }

  /** True when this broker issued `token` (whatever its status). */
  owns(token: string): boolean {
    return this.records.has(token)
  }

  status(token: string): TokenStatus | undefined {
    return this.records.get(token)?.status
  }

  /** Completes the task with `output` (a JSON value). */
  sendTaskSuccess(token: string, output: unknown): void {
    const record = this.pendingRecord(token)
    let copy: unknown
    try {
      const text = JSON.stringify(output)
      if (text === undefined) throw new Error('output is not a JSON value')
      copy = JSON.parse(text)
    } catch (error) {
      throw new InvalidOutput(`Invalid Output: ${(error as Error).message}`)
    }
    this.settle(record, 'succeeded')
    record.resolve(copy)
  }

  /** Fails the task: its state fails with error name `error` and cause `cause`. */
  sendTaskFailure(token: string, error = '', cause = ''): void {
    const record = this.pendingRecord(token)
    this.settle(record, 'failed')
    record.reject(new TaskError(error, cause))
  }

  /** Restarts the heartbeat count of a pending task. */
  sendTaskHeartbeat(token: string): void {
    this.armHeartbeat(this.pendingRecord(token))
  }

  /**
   * Ends a pending token without an outcome: `timed-out` when its state's timeout fired, `closed`
   * when its execution ended or was stopped. Later calls on it answer `TaskTimedOut`. No effect on
   * a token that is no longer pending.
   */
  close(token: string, status: 'timed-out' | 'closed'): void {
    const record = this.records.get(token)
    if (record === undefined || record.status !== 'pending') return
    this.settle(record, status)
    record.reject(new TaskTimedOut(`Task ${status === 'timed-out' ? 'timed out' : 'closed with its execution'}`))
  }

  /** Tasks waiting for a token, oldest first; optionally of one execution. */
  pending(executionName?: string): IssuedTask[] {
    return [...this.records.values()]
      .filter((r) => r.status === 'pending' && (executionName === undefined || r.task.executionName === executionName))
      .map((r) => r.task)
  }

  private record(token: string): TokenRecord {
    const record = this.records.get(token)
    if (record === undefined) throw new InvalidToken()
    return record
  }

  private pendingRecord(token: string): TokenRecord {
    const record = this.record(token)
    if (record.status !== 'pending') throw new TaskTimedOut()
    return record
  }

  private settle(record: TokenRecord, status: Exclude<TokenStatus, 'pending'>): void {
    record.status = status
    clearTimeout(record.heartbeat)
    record.heartbeat = undefined
  }

  private armHeartbeat(record: TokenRecord): void {
    clearTimeout(record.heartbeat)
    const ms = record.heartbeatMs
    if (ms === undefined || ms > maxTimerMs) return
    record.heartbeat = setTimeout(() => {
      if (record.status !== 'pending') return
      this.settle(record, 'timed-out')
      record.reject(new TaskError('States.HeartbeatTimeout', ''))
    }, ms)
  }
}

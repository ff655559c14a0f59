/**
 * The Lambda service for the fault suite: scorer containers as child processes (lambda-worker.ts),
 * one invocation per container at a time, a new container (a cold start) when none is idle, and
 * a killed container reported to the caller as Lambda reports it, a function error, so the event
 * source mapping retries and bisects the batch.
 */
import { fork, type ChildProcess } from 'node:child_process'
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda'

interface Container {
  readonly appId: string
  readonly process: ChildProcess
  busy: boolean
}

type Reply = { id: number; response?: KinesisStreamBatchResponse; error?: string }

export interface LambdaPool {
  invoke(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse>
  /** Kills the container that identifies itself as `appId` (its `AWS_SDK_UA_APP_ID`); false when none. */
  kill(appId: string): boolean
  readonly coldStarts: number
  readonly kills: number
  stop(): Promise<void>
}

export function startLambdaPool(env: Readonly<Record<string, string>>): LambdaPool {
  const containers = new Set<Container>()
  let started = 0
  let kills = 0
  let invocations = 0

  const coldStart = async (): Promise<Container> => {
    const appId = `vigil-faults-worker-${++started}`
    const child = fork(new URL('./lambda-worker.ts', import.meta.url).pathname, [], {
      env: { ...env, AWS_SDK_UA_APP_ID: appId },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    const container: Container = { appId, process: child, busy: true }
    containers.add(container)
    child.once('exit', () => containers.delete(container))
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code, signal) => reject(new Error(`container ${appId} exited during init (${signal ?? code})`)))
    })
    return container
  }

  const acquire = async (): Promise<Container> => {
    for (const container of containers) {
      if (!container.busy) {
        container.busy = true
        return container
      }
    }
    return coldStart()
  }

  return {
    async invoke(event) {
      const container = await acquire()
      const id = ++invocations
      try {
        return await new Promise<KinesisStreamBatchResponse>((resolve, reject) => {
          const onMessage = (reply: Reply) => {
            if (reply.id !== id) return
            settle()
            if (reply.error !== undefined) reject(new Error(reply.error))
            else resolve(reply.response ?? { batchItemFailures: [] })
          }
          const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
            settle()
            reject(new Error(`Runtime exited with ${signal === null ? `code ${code}` : `signal: ${signal}`}`))
          }
          const settle = () => {
            container.process.off('message', onMessage)
            container.process.off('exit', onExit)
          }
          container.process.on('message', onMessage)
          container.process.on('exit', onExit)
          container.process.send({ id, event })
        })
      } finally {
        container.busy = false
      }
    },
    kill(appId) {
      for (const container of containers) {
        if (container.appId !== appId) continue
        kills++
        return container.process.kill('SIGKILL')
      }
      return false
    },
    get coldStarts() {
      return started
    },
    get kills() {
      return kills
    },
    async stop() {
      const exits = [...containers].map((c) => new Promise((resolve) => (c.process.exitCode !== null || c.process.signalCode !== null ? resolve(undefined) : c.process.once('exit', resolve))))
      for (const container of containers) container.process.kill('SIGKILL')
      await Promise.all(exits)
    },
  }
}

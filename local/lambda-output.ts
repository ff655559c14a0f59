/**
 * In AWS, what a Lambda writes to stdout and stderr goes to CloudWatch Logs, which turns the EMF
 * lines into metrics. Run in process, the same lines would flood the terminal. While a handler
 * runs under `run`, every line written to stdout or stderr in its async context (its awaits,
 * callbacks and timers included) goes to that run's sink instead; everything else is untouched.
 * Several runtimes in one process keep their lines apart: the sink is per async context.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

export type LineSink = (line: string) => void

const sinks = new AsyncLocalStorage<LineSink>()
const streams = [process.stdout, process.stderr] as const
let originals: Array<NodeJS.WriteStream['write']> | undefined
let holders = 0

export interface LambdaOutput {
  run<T>(sink: LineSink, invocation: () => T): T
  /** Restores the streams once the last holder lets go. */
  release(): void
}

export function captureLambdaOutput(): LambdaOutput {
  if (holders++ === 0) {
    originals = streams.map((stream) => stream.write)
    streams.forEach((stream, i) => {
      const original = originals![i]!
      stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
        const sink = sinks.getStore()
        if (sink === undefined) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
        // Outside the handler's context: a sink that writes to the terminal must reach it, not itself.
        sinks.exit(() => {
          for (const line of text.split('\n')) if (line !== '') sink(line)
        })
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
        if (callback) process.nextTick(callback)
        return true
      } as NodeJS.WriteStream['write']
    })
  }
  let released = false
  return {
    run: (sink, invocation) => sinks.run(sink, invocation),
    release: () => {
      if (released) return
      released = true
      if (--holders === 0) {
        streams.forEach((stream, i) => (stream.write = originals![i]!))
        originals = undefined
      }
    },
  }
}

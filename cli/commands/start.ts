import { parseArgs } from 'node:util'
import { defaultPorts } from '../../local/ports.ts'
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.ts'
import { UsageError } from '../usage-error.ts'

export const startUsage = `vigil start [--no-traffic] [--rate N] [--seed N] [--time-scale X] [--data-dir DIR]
            [--dynamodb-port N] [--kinesis-port N] [--api-port N] [--stepfunctions-port N]

Runs the whole pipeline locally, derived from the synthesized CDK app: DynamoDB (dynalite) on
:${defaultPorts.dynamodb}, Kinesis (kinesalite) on :${defaultPorts.kinesis}, the tables and the stream as the template
defines them, the scorer behind an emulated event source mapping, the case workflow on a local Step
Functions endpoint (:${defaultPorts.stepFunctions}) and the analyst API on http://127.0.0.1:${defaultPorts.api} with a dev token.
Generated traffic flows in unless --no-traffic (seeded, --rate per second, default 20). Prints one
ready line, then a summary every 5 s; Ctrl-C stops it.

  --data-dir DIR    keep tables, stream and keys in DIR (default: in memory; dev key in .vigil/)
  --time-scale X    real seconds per workflow second, e.g. 0.001 runs a 15 min SLA in 0.9 s (default 1)
  --*-port 0        any free port

The backtest of the sample history that \`vigil start\` used to run: vigil backtest --rules rules/default.json
  --input examples/transactions.jsonl --labels examples/labels.jsonl --out .vigil/decisions.jsonl`

export interface StartIo {
  /** Where the ready line and the summaries go; default stdout. */
  readonly log?: (line: string) => void
  /** Stops the runtime when aborted (the CLI stops on SIGINT and SIGTERM). */
  readonly signal?: AbortSignal
  /** Called once the runtime is ready. */
  readonly onReady?: (runtime: LocalRuntime) => void
}

export async function start(args: string[], io: StartIo = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    allowNegative: true,
    options: {
      traffic: { type: 'boolean', default: true },
      rate: { type: 'string', default: '20' },
      seed: { type: 'string', default: '42' },
      'time-scale': { type: 'string', default: '1' },
      'data-dir': { type: 'string' },
      'dynamodb-port': { type: 'string', default: String(defaultPorts.dynamodb) },
      'kinesis-port': { type: 'string', default: String(defaultPorts.kinesis) },
      'api-port': { type: 'string', default: String(defaultPorts.api) },
      'stepfunctions-port': { type: 'string', default: String(defaultPorts.stepFunctions) },
    },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, startUsage)
  const number = (name: keyof typeof values, check: (n: number) => boolean, what: string) => {
    const n = Number(values[name])
    if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}`, startUsage)
    return n
  }
  const port = (name: keyof typeof values) => number(name, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port (0 to 65535)')
  const options = {
    traffic: values.traffic as boolean,
    rate: number('rate', (n) => n > 0 && n <= 10_000, 'a positive number of transactions per second (at most 10,000)'),
    seed: number('seed', Number.isInteger, 'an integer'),
    timeScale: number('time-scale', (n) => n > 0, 'a positive number'),
    dynamodbPort: port('dynamodb-port'),
    kinesisPort: port('kinesis-port'),
    apiPort: port('api-port'),
    stepFunctionsPort: port('stepfunctions-port'),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] as string } : {}),
    ...(io.log ? { log: io.log } : {}),
  }

  let runtime: LocalRuntime
  try {
    runtime = await startLocalRuntime(options)
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { port?: number; address?: string }
    if (e.code !== 'EADDRINUSE') throw error
    process.stderr.write(`vigil start: ${e.address ?? '127.0.0.1'}:${e.port ?? '?'} is in use (another vigil start?); choose other ports with --dynamodb-port, --kinesis-port, --api-port, --stepfunctions-port (0: any free port)\n`)
    return 1
  }
  io.onReady?.(runtime)
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      io.signal?.removeEventListener('abort', done)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    if (io.signal?.aborted) done()
    else io.signal?.addEventListener('abort', done, { once: true })
  })
  ;(io.log ?? ((line: string) => void process.stdout.write(`${line}\n`)))('stopping…')
  await runtime.stop()
  return 0
}

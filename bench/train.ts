/**
 * `npm run bench -- train`: `vigil train` on a million rows, as a user runs it, in its own process
 * with the heap capped: the handbook's first million simulated transactions written as a JSONL
 * history (and their frauds as chargebacks 7 days later), every one of them a training row, the
 * default rules' features plus the transaction inputs, default settings (the hold-out fit and the
 * final fit). Reports the wall time of each phase as the command prints it and the process's peak
 * resident memory (getrusage's maxrss), beside `vigil backtest`'s on the same history: the replay's
 * own memory is the scorer's per-entity state, bounded by the entities, not the history; what
 * train adds is the rows' typed columns and the fit's arrays, a few dozen bytes a row.
 */
import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { singleKey } from '../functions/core/keyring.ts'
import { handbookConfig, simulate } from './detection/simulator.ts'
import { transactionIdOf, wireTransactions } from './detection/transactions.ts'
import { fmt, saveResults } from './results.ts'

const exec = promisify(execFile)
const root = new URL('../', import.meta.url).pathname
const rows = Number(process.env.VIGIL_TRAIN_ROWS ?? 1_000_000)
/** The scorer's state of 5,000 cards and 10,000 terminals under the default rules (lagged windows) needs more than the rows do. */
const heapMB = 1024
const key = 'train-bench-tokenization-key'

async function writeLines(path: string, count: number, line: (i: number) => string | undefined): Promise<void> {
  const out = createWriteStream(path)
  for (let i = 0; i < count; i++) {
    const text = line(i)
    if (text !== undefined && !out.write(`${text}\n`)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

export async function trainBench(): Promise<Record<string, unknown>> {
  const data = simulate(handbookConfig)
  const t = data.transactions
  const count = Math.min(rows, t.count)
  const start = Date.parse(`${handbookConfig.startDate}T00:00:00Z`)
  const wire = wireTransactions(data, singleKey(key, 'bench'))
  const dir = await mkdtemp(join(tmpdir(), 'vigil-train-bench-'))
  const history = join(dir, 'history.jsonl')
  const labels = join(dir, 'labels.jsonl')
  await writeLines(history, count, (i) => JSON.stringify(wire(i)))
  await writeLines(labels, count, (i) =>
    t.fraud[i] ? JSON.stringify({ transactionId: transactionIdOf(i), fraud: true, reportedAt: new Date(start + t.seconds[i]! * 1000 + 7 * 86_400_000).toISOString(), source: 'chargeback' }) : undefined,
  )
  const to = new Date(start + (t.seconds[count - 1]! + 1) * 1000).toISOString()
  // The peak resident set of the child, as getrusage reports it, written when it exits.
  const peak = `data:text/javascript,process.on("exit",()=>process.stderr.write("maxRSS "+process.resourceUsage().maxRSS+"\\n"))`
  const vigil = (...args: string[]) =>
    exec(process.execPath, [`--max-old-space-size=${heapMB}`, '--import', peak, join(root, 'cli/vigil.ts'), ...args], { env: { ...process.env, VIGIL_TOKENIZATION_KEY: key }, maxBuffer: 1 << 24 })
  const rssOf = (stderr: string) => Math.round(Number(/maxRSS (\d+)/.exec(stderr)?.[1]) / 1024)
  // The same replay without training, for what the rows and the fits add to it.
  const backtest = await vigil('backtest', '--rules', join(root, 'rules/default.json'), '--input', history, '--labels', labels, '--out', join(dir, 'decisions.jsonl'), '--json')
  const backtestRssMB = rssOf(backtest.stderr)
  await rm(join(dir, 'decisions.jsonl'), { force: true })
  const began = performance.now()
  const { stdout, stderr } = await vigil('train', '--rules', join(root, 'rules/default.json'), '--input', history, '--labels', labels, '--from', handbookConfig.startDate, '--to', to, '--out', join(dir, 'model.json'))
  const ms = performance.now() - began
  const maxRssMB = rssOf(stderr)
  const trained = Number(/trained on ([\d,]+) transactions/.exec(stdout)?.[1]?.replace(/,/g, ''))
  const [, replayS, trainingS] = /replay ([\d.]+) s, training ([\d.]+) s/.exec(stdout) ?? []
  const figures = {
    rows: trained,
    historyMB: Math.round((await stat(history)).size / 1e6),
    heapCapMB: heapMB,
    maxRssMB,
    backtestMaxRssMB: backtestRssMB,
    rowsMB: Math.round((trained * 4 * 20 + trained * 21) / 1e6),
    memory: 'maxRssMB: vigil train’s peak resident memory; backtestMaxRssMB: vigil backtest’s on the same history (the replay alone: the scorer’s per-entity state); rowsMB: the typed columns of the rows (20 inputs × 4 bytes, and time, card, target, knownAt); the fits add bins (1 byte an input), gradients, hessians, margins and an index (about 45 bytes a row)',
    seconds: { total: Math.round(ms / 100) / 10, replay: Number(replayS), training: Number(trainingS) },
    output: stdout.split('\n').slice(0, 5),
  }
  await rm(dir, { recursive: true, force: true })
  const path = await saveResults('train', figures)
  console.log(
    `train: vigil train on ${fmt(trained)} rows (${figures.historyMB} MB of history), heap capped at ${heapMB} MB: peak RSS ${maxRssMB} MB (vigil backtest on the same history: ${backtestRssMB} MB); replay ${replayS} s, training ${trainingS} s (hold-out fit and final fit); saved ${path}`,
  )
  return figures
}

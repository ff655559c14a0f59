/**
 * `npm run bench -- train`: `vigil train` on a million rows, as a user runs it, in its own process
 * with the heap capped: the handbook's first million simulated transactions written as a JSONL
 * history (and their frauds as chargebacks 7 days later), every one of them a training row, the
 * default rules' features plus the transaction inputs, default settings (the hold-out fit and the
 * final fit). Reports the wall time of each phase as the command prints it and the process's peak
 * resident memory (getrusage's maxrss).
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
const heapMB = 256
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
  const began = performance.now()
  const { stdout, stderr } = await exec(
    process.execPath,
    [`--max-old-space-size=${heapMB}`, '--import', peak, join(root, 'cli/vigil.ts'), 'train', '--rules', join(root, 'rules/default.json'), '--input', history, '--labels', labels, '--from', handbookConfig.startDate, '--to', to, '--out', join(dir, 'model.json')],
    { env: { ...process.env, VIGIL_TOKENIZATION_KEY: key }, maxBuffer: 1 << 24 },
  )
  const ms = performance.now() - began
  const maxRssMB = Math.round(Number(/maxRSS (\d+)/.exec(stderr)?.[1]) / 1024)
  const trained = Number(/trained on ([\d,]+) transactions/.exec(stdout)?.[1]?.replace(/,/g, ''))
  const [, replayS, trainingS] = /replay ([\d.]+) s, training ([\d.]+) s/.exec(stdout) ?? []
  const figures = {
    rows: trained,
    historyMB: Math.round((await stat(history)).size / 1e6),
    heapCapMB: heapMB,
    maxRssMB,
    seconds: { total: Math.round(ms / 100) / 10, replay: Number(replayS), training: Number(trainingS) },
    output: stdout.split('\n').slice(0, 5),
  }
  await rm(dir, { recursive: true, force: true })
  const path = await saveResults('train', figures)
  console.log(`train: vigil train on ${fmt(trained)} rows (${figures.historyMB} MB of history), heap capped at ${heapMB} MB: peak RSS ${maxRssMB} MB; replay ${replayS} s, training ${trainingS} s (hold-out fit and final fit); saved ${path}`)
  return figures
}

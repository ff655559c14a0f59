import { mkdir } from 'node:fs/promises'
import { backtest } from './backtest.ts'

export const startUsage = `vigil start

Runs Vigil locally. Until the embedded pipeline lands (Kinesis and DynamoDB emulators, the scorer,
the case API), this replays the bundled sample history through the rules with the backtest and
writes the decisions under .vigil/.`

export async function start(args: string[]): Promise<number> {
  await mkdir('.vigil', { recursive: true })
  process.stdout.write('Replaying examples/transactions.jsonl through rules/default.json (the embedded pipeline comes next).\n\n')
  return backtest([
    '--rules', 'rules/default.json',
    '--input', 'examples/transactions.jsonl',
    '--labels', 'examples/labels.jsonl',
    '--out', '.vigil/decisions.jsonl',
    ...args,
  ])
}

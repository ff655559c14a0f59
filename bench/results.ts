import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'

/** Where a benchmark ran: figures mean little without it. */
export const machine = () => ({
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  platform: `${process.platform}-${process.arch}`,
})

export async function saveResults(name: string, figures: Record<string, unknown>): Promise<string> {
  const path = new URL(`./results/${name}.json`, import.meta.url)
  await mkdir(new URL('./results/', import.meta.url), { recursive: true })
  await writeFile(path, `${JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine: machine(), ...figures }, null, 2)}\n`)
  return path.pathname
}

export const rate = (count: number, ms: number) => Math.round(count / (ms / 1000))
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

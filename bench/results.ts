import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'

/** Where a benchmark ran: figures mean little without it. */
export const machine = () => ({
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  platform: `${process.platform}-${process.arch}`,
  /** Other work on the machine skews every timing: the 1-minute load average when the figures were saved (the bench itself counts about 1). */
  loadAverage: Math.round(loadavg()[0]! * 100) / 100,
})

export async function saveResults(name: string, figures: Record<string, unknown>): Promise<string> {
  const path = new URL(`./results/${name}.json`, import.meta.url)
  await mkdir(new URL('./results/', import.meta.url), { recursive: true })
  await writeFile(path, `${JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine: machine(), ...figures }, null, 2)}\n`)
  return path.pathname
}

/** A benchmark's latest saved figures (bench/results/<name>.json), for benches that build on others'. */
export async function readResults<T>(name: string): Promise<T & { at: string }> {
  const path = new URL(`./results/${name}.json`, import.meta.url)
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T & { at: string }
  } catch (error) {
    throw new Error(`${path.pathname}: ${(error as Error).message}; run \`npm run bench -- ${name}\` first`)
  }
}

export const rate = (count: number, ms: number) => Math.round(count / (ms / 1000))
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

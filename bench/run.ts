import { coreBench } from './core.ts'
import { streamBench } from './stream.ts'

/** `npm run bench`: every benchmark in turn, each printing its figures and saving them as JSON. */
const benches: Record<string, () => Promise<unknown>> = { core: coreBench, stream: streamBench }

const only = process.argv.slice(2)
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue
  await bench()
}

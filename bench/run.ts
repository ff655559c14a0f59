import { coldStartBench } from './cold-start.ts'
import { coreBench } from './core.ts'
import { costBench } from './cost.ts'
import { e2eBench } from './e2e.ts'
import { streamBench } from './stream.ts'

/**
 * `npm run bench`: every benchmark in turn, each printing its figures and saving them as JSON;
 * `npm run bench -- e2e cost` runs only those named. The cost model reads the stream and e2e
 * figures as last saved, so it runs after them.
 */
const benches: Record<string, () => Promise<unknown>> = { core: coreBench, stream: streamBench, e2e: e2eBench, 'cold-start': coldStartBench, cost: costBench }

const only = process.argv.slice(2)
const unknown = only.filter((name) => !(name in benches))
if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; choose from ${Object.keys(benches).join(', ')}`)
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue
  await bench()
}

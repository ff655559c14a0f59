/**
 * `npm run bench`: every benchmark in turn, each printing its figures and saving them as JSON;
 * `npm run bench -- e2e cost` runs only those named. The cost model reads the stream and e2e
 * figures as last saved, so it runs after them.
 *
 * Each bench is imported only when it runs, core first: the others load the handlers, whose
 * tracer (cls-hooked, under the X-Ray SDK) installs async hooks for the whole process, and those
 * slow promise-heavy code such as json-rules-engine threefold, which would flatter the core ratio.
 */
const benches: Record<string, () => Promise<unknown>> = {
  core: async () => (await import('./core.ts')).coreBench(),
  'rule-cost': async () => (await import('./rule-cost.ts')).ruleCostBench(),
  'pan-text': async () => (await import('./pan-text.ts')).panTextBench(),
  stream: async () => (await import('./stream.ts')).streamBench(),
  e2e: async () => (await import('./e2e.ts')).e2eBench(),
  'cold-start': async () => (await import('./cold-start.ts')).coldStartBench(),
  cost: async () => (await import('./cost.ts')).costBench(),
  detection: async () => (await import('./detection.ts')).detectionBench(),
  learners: async () => (await import('./learners.ts')).learnersBench(),
  train: async () => (await import('./train.ts')).trainBench(),
}

const only = process.argv.slice(2)
const unknown = only.filter((name) => !(name in benches))
if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; choose from ${Object.keys(benches).join(', ')}`)
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue
  await bench()
}

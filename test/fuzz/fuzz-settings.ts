/**
 * How hard the fuzz properties push. `npm test` runs a CI-sized campaign (well under a minute on two
 * cores); a longer one sets VIGIL_FUZZ_RUNS, the runs of each pure property (default 300), and the
 * properties on the emulators or over HTTP run their fixed share of it. VIGIL_FUZZ_SEED replays a
 * reported failure.
 */
const defaultRuns = 300

const base = (() => {
  const raw = process.env.VIGIL_FUZZ_RUNS
  if (raw === undefined || raw === '') return defaultRuns
  const runs = Number(raw)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`VIGIL_FUZZ_RUNS must be a positive integer (got ${JSON.stringify(raw)})`)
  return runs
})()

const seed = process.env.VIGIL_FUZZ_SEED === undefined || process.env.VIGIL_FUZZ_SEED === '' ? undefined : Number(process.env.VIGIL_FUZZ_SEED)

/** fast-check parameters for a property that costs `share` of a pure one's runs. */
export function fuzzParameters(share = 1): { numRuns: number; seed?: number } {
  return { numRuns: Math.max(1, Math.round(base * share)), ...(seed === undefined ? {} : { seed }) }
}

/** A test timeout that grows with the campaign: `ms` at the default size. */
export const fuzzTimeout = (ms: number): number => Math.max(ms, Math.ceil((ms * base) / defaultRuns))

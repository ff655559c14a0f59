/**
 * Stands in for the `semver` package in the Lambda bundles (aliased in lib/node-function.ts). Its
 * only importer there is the X-Ray SDK's patcher for AWS SDK v2, under Powertools' tracer: loaded
 * at init, it calls `gte(awssdk.VERSION, minVersion)` only when a v2 client is captured, which
 * Vigil never does. The package is 28 KB of the scorer's bundle; `gte` under SemVer 2.0 precedence
 * is this file. test/infra/bundle-aliases.test.ts fails if another importer appears.
 */
const pattern = /^[v=]?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/

interface Version {
  readonly core: readonly [number, number, number]
  readonly prerelease: readonly string[]
}

function parse(text: string): Version {
  const match = pattern.exec(text.trim())
  if (!match) throw new TypeError(`Invalid Version: ${text}`)
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], prerelease: match[4]?.split('.') ?? [] }
}

const numeric = /^\d+$/

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = numeric.test(a)
  const bNumeric = numeric.test(b)
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b))
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

export function compare(a: string, b: string): number {
  const x = parse(a)
  const y = parse(b)
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return Math.sign(x.core[i]! - y.core[i]!)
  // A pre-release sorts before its release; otherwise identifier by identifier, the longer list last.
  if (x.prerelease.length === 0 || y.prerelease.length === 0) return Math.sign(y.prerelease.length - x.prerelease.length)
  for (let i = 0; i < Math.min(x.prerelease.length, y.prerelease.length); i++) {
    const order = compareIdentifiers(x.prerelease[i]!, y.prerelease[i]!)
    if (order !== 0) return order
  }
  return Math.sign(x.prerelease.length - y.prerelease.length)
}

export function gte(a: string, b: string): boolean {
  return compare(a, b) >= 0
}

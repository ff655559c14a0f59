import { withChecksum, type ModelFile } from '../functions/core/models/model-file.ts'
import { nodeMeans, type FlatTree, type TreeEnsemble } from '../functions/core/models/tree-ensemble.ts'
import { Random } from '../local/traffic/random.ts'

export interface SyntheticModelOptions {
  name: string
  trees: number
  /** Every tree is a full binary tree of this depth: 2^depth − 1 splits, 2^depth leaves, every path `depth` splits long. */
  depth: number
  seed: number
}

/**
 * A tree ensemble of a given size for the core bench, in Vigil's model file: the cost of scoring
 * depends on the trees' count and depth, not on what they learnt, so they are drawn from a seeded
 * stream rather than trained. Each split reads a feature drawn uniformly and a threshold midway
 * between two values of that feature in `samples` (realistic vectors, so paths vary as they would);
 * leaves are small log-odds; a node's cover is the number of samples through it, plus one, so the
 * cover-weighted means behind the path contributions differ from node to node.
 */
export function syntheticTreeModel(features: readonly string[], samples: readonly (readonly (number | undefined)[])[], options: SyntheticModelOptions): ModelFile {
  const random = new Random(options.seed)
  const splits = 2 ** options.depth - 1
  const nodes = 2 ** (options.depth + 1) - 1
  // Per feature, the values it takes in the samples (missing ones left out).
  const seen = features.map((_, f) => samples.map((x) => x[f]).filter((v): v is number => v !== undefined))
  const threshold = (f: number): number => {
    const values = seen[f]!
    if (values.length === 0) return 0.5
    const a = random.pick(values)
    const b = random.pick(values)
    return a === b ? a + 0.5 : (a + b) / 2
  }
  const trees = Array.from({ length: options.trees }, () => {
    // Breadth first: node i splits into 2i + 1 and 2i + 2, always later nodes, as the file requires.
    const left = Array.from({ length: nodes }, (_, i) => (i < splits ? 2 * i + 1 : -1))
    const right = Array.from({ length: nodes }, (_, i) => (i < splits ? 2 * i + 2 : -1))
    const feature = Array.from({ length: nodes }, (_, i) => (i < splits ? random.int(0, features.length - 1) : 0))
    const value = feature.map((f, i) => Math.fround(i < splits ? threshold(f) : random.float(-0.3, 0.3)))
    const defaultLeft = Array.from({ length: nodes }, () => (random.chance(0.5) ? 1 : 0) as 0 | 1)
    const cover = new Array<number>(nodes).fill(1)
    for (const x of samples) {
      let node = 0
      cover[0]! += 1
      while (left[node] !== -1) {
        const v = x[feature[node]!]
        node = v === undefined ? (defaultLeft[node] ? left[node]! : right[node]!) : Math.fround(v) < value[node]! ? left[node]! : right[node]!
        cover[node]! += 1
      }
    }
    return { left, right, feature, value, defaultLeft, cover }
  })
  return withChecksum({
    format: 'vigil-model',
    formatVersion: 1,
    name: options.name,
    version: 1,
    features: [...features],
    source: `synthetic: ${options.trees} full trees of depth ${options.depth}, seed ${options.seed} (bench/synthetic-model.ts)`,
    model: { kind: 'trees', baseMargin: -4, trees },
  })
}

/** The ensemble a model file compiles to (as compileModel builds it), for timing its parts apart. */
export function ensembleOf(file: ModelFile): TreeEnsemble {
  if (file.model.kind !== 'trees') throw new Error('not a tree model')
  const trees: FlatTree[] = file.model.trees.map((t) => {
    const left = Int32Array.from(t.left)
    const right = Int32Array.from(t.right)
    const value = Float32Array.from(t.value)
    const cover = Float32Array.from(t.cover)
    return { left, right, feature: Int32Array.from(t.feature), value, defaultLeft: Uint8Array.from(t.defaultLeft), cover, mean: nodeMeans(left, right, value, cover) }
  })
  return { trees, baseMargin: file.model.baseMargin, featureCount: file.features.length }
}

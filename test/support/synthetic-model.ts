import { withChecksum, type ModelFile } from '../../functions/core/models/model-file.ts'
import { Random } from '../../local/traffic/random.ts'

/**
 * A full binary tree ensemble of `trees` trees of `depth` levels over `features`, thresholds and
 * leaves drawn from a seeded RNG: a model of a given size and shape, not a trained one, for
 * storage and speed (a 300-tree, depth-6 one is about 1.2 MB of JSON, more than a DynamoDB item).
 */
export function syntheticTrees(options: { trees: number; depth: number; features: readonly string[]; seed?: number; name?: string; version?: number }): ModelFile {
  const random = new Random(options.seed ?? 1)
  const trees = Array.from({ length: options.trees }, () => {
    const internal = 2 ** options.depth - 1
    const nodes = 2 ** (options.depth + 1) - 1
    const tree = { left: [] as number[], right: [] as number[], feature: [] as number[], value: [] as number[], defaultLeft: [] as Array<0 | 1>, cover: [] as number[] }
    for (let node = 0; node < nodes; node++) {
      const leaf = node >= internal
      tree.left.push(leaf ? -1 : 2 * node + 1)
      tree.right.push(leaf ? -1 : 2 * node + 2)
      tree.feature.push(leaf ? 0 : random.int(0, options.features.length - 1))
      tree.value.push(leaf ? random.float(-0.3, 0.3) : random.float(0, 10))
      tree.defaultLeft.push(random.chance(0.5) ? 1 : 0)
      tree.cover.push(2 ** (options.depth - Math.floor(Math.log2(node + 1))))
    }
    return tree
  })
  return withChecksum({
    format: 'vigil-model',
    formatVersion: 1,
    name: options.name ?? 'fraud',
    version: options.version ?? 1,
    features: [...options.features],
    source: `synthetic ${options.trees} trees, depth ${options.depth}`,
    model: { kind: 'trees', baseMargin: -4, trees },
  })
}

/** A logistic model whose score is known in closed form: sigmoid(intercept + Σ weight × value). */
export function logisticModel(features: readonly string[], weights: readonly number[], intercept: number, options: { name?: string; version?: number } = {}): ModelFile {
  return withChecksum({
    format: 'vigil-model',
    formatVersion: 1,
    name: options.name ?? 'fraud',
    version: options.version ?? 1,
    features: [...features],
    source: 'test',
    model: { kind: 'logistic', intercept, weights: [...weights] },
  })
}

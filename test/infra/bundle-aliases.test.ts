import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { esbuildOptions } from '../../bench/bundle.ts'
import { lambdaBundling } from '../../lib/node-function.ts'

const entries = ['functions/score/handler.ts', 'functions/escalation/handler.ts', 'functions/case-api/handler.ts']

describe('the Lambda bundles with the semver stand-in aliased', () => {
  it.each(entries)('replaces semver in %s, where only the X-Ray SDK’s v2 patcher imports it, for `gte` alone', async (entry) => {
    const { metafile } = await build({ ...esbuildOptions(lambdaBundling, entry, '/dev/null'), write: false, metafile: true })
    const inputs = Object.entries(metafile.inputs)
    expect(inputs.map(([path]) => path).filter((path) => path.includes('node_modules/semver/'))).toEqual([])
    const importers = inputs.filter(([, input]) => input.imports.some((i) => i.path.endsWith('functions/bundling/semver.ts'))).map(([path]) => path.replace(/.*node_modules\//, ''))
    expect(importers).toEqual(['aws-xray-sdk-core/dist/lib/patchers/aws_p.js'])
  })
})

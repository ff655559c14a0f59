import fc from 'fast-check'
import * as semver from 'semver'
import { describe, expect, it } from 'vitest'
import { compare, gte } from '../../functions/bundling/semver.ts'

const identifier = fc.oneof(fc.nat({ max: 20 }).map(String), fc.stringMatching(/^[0-9A-Za-z-]{1,6}$/).filter((id) => !/^0\d/.test(id)))
const version = fc
  .tuple(fc.nat({ max: 30 }), fc.nat({ max: 30 }), fc.nat({ max: 30 }), fc.array(identifier, { maxLength: 3 }), fc.option(fc.stringMatching(/^[0-9A-Za-z]{1,5}$/)))
  .map(([major, minor, patch, pre, build]) => `${major}.${minor}.${patch}${pre.length ? `-${pre.join('.')}` : ''}${build ? `+${build}` : ''}`)

describe('the semver stand-in of the Lambda bundles', () => {
  it('orders versions exactly as semver does', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compare(a, b)).toBe(semver.compare(a, b))
        expect(gte(a, b)).toBe(semver.gte(a, b))
      }),
      { numRuns: 2000 },
    )
  })

  it('refuses what is not a version, as semver does', () => {
    for (const text of ['', '1.2', 'x.y.z', '1.2.3-', '1.2.3+']) {
      expect(() => semver.gte(text, '1.0.0')).toThrow(TypeError)
      expect(() => gte(text, '1.0.0')).toThrow(TypeError)
    }
  })
})

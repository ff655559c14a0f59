import { describe, expect, it } from 'vitest'
import { compileModel, withChecksum, type ModelBody } from '../../../functions/core/models/model-file.ts'

const logistic = (weights: number[], intercept = -2): ModelBody => ({
  format: 'vigil-model',
  formatVersion: 1,
  name: 'fraud',
  version: 1,
  features: ['merchant_fraud_rate_7d', 'card_count_1h', 'amount_ratio'],
  source: 'test',
  model: { kind: 'logistic', intercept, weights },
})

describe('Vigil model files', () => {
  it('scores a logistic model as the sigmoid of intercept plus weight × value, a missing value adding nothing, and names what moved it most', () => {
    const compiled = compileModel(withChecksum(logistic([4, 0.1, -1])))
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error))
    const { score, top } = compiled.value.score([0.5, 10, undefined])
    expect(score).toBeCloseTo(1 / (1 + Math.exp(-(-2 + 2 + 1))), 12)
    expect(top).toEqual([
      { feature: 'merchant_fraud_rate_7d', value: 0.5, contribution: 2 },
      { feature: 'card_count_1h', value: 10, contribution: 1 },
    ])
    expect(compiled.value.score([0.5, 10, 3], 1).top).toEqual([{ feature: 'amount_ratio', value: 3, contribution: -3 }])
  })

  it('refuses a file whose checksum does not match, and a logistic model with a weight per feature missing', () => {
    const file = withChecksum(logistic([4, 0.1, -1]))
    expect(compileModel({ ...file, model: { ...file.model, intercept: 5 } })).toMatchObject({ ok: false, error: { issues: [{ path: 'checksum' }] } })
    expect(compileModel(withChecksum(logistic([4, 0.1])))).toMatchObject({ ok: false, error: { issues: [{ path: 'model.weights' }] } })
    expect(compileModel({ ...file, features: ['Not A Feature', 'b', 'c'] })).toMatchObject({ ok: false, error: { issues: [{ path: 'features[0]' }] } })
  })
})

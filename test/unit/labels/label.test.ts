import fc from 'fast-check'
import type * as z from 'zod'
import { describe, expect, it } from 'vitest'
import { formatPath } from '../../../functions/core/issues.ts'
import { containsPan } from '../../../functions/core/pan-text.ts'
import { historicalLabelSchema, labelSchema } from '../../../functions/core/labels/label.ts'
import { panNotation } from '../../fuzz/arbitraries/pans.ts'

const label = { transactionId: 'tx-42-7', fraud: true, reportedAt: '2026-11-30T09:00:00Z', source: 'chargeback', reason: '10.4 card absent fraud' }

const refusedAt = (input: unknown, schema: z.ZodType = labelSchema) => {
  const parsed = schema.safeParse(input)
  return parsed.success ? [] : parsed.error.issues.map((issue) => formatPath(issue.path))
}

describe('the label format', () => {
  it('takes a chargeback, an issuer or customer report and an analyst verdict, with or without a reason', () => {
    for (const source of ['analyst', 'chargeback', 'issuer', 'customer']) expect(labelSchema.parse({ ...label, source })).toEqual({ ...label, source })
    const { reason: _reason, ...bare } = label
    expect(labelSchema.parse(bare)).toEqual(bare)
  })

  it('refuses what is wrong at its path, every problem at once', () => {
    expect(refusedAt({ ...label, fraud: 'yes', reportedAt: '2026-11-30', source: 'bank', extra: 1 }).sort()).toEqual(['', 'fraud', 'reportedAt', 'source'])
    expect(refusedAt({ ...label, transactionId: 'tx 1' })).toEqual(['transactionId'])
    expect(refusedAt({ ...label, reason: ' ' })).toEqual(['reason'])
  })

  it('refuses a card number in the transaction id or the reason, in any notation, without quoting it', () => {
    fc.assert(
      fc.property(panNotation, ({ written }) => {
        for (const input of [{ ...label, reason: `disputed ${written}` }, { ...label, transactionId: written.replace(/[^0-9]/g, '-') }]) {
          const parsed = labelSchema.safeParse(input)
          if (containsPan(String(input.reason)) || containsPan(input.transactionId)) expect(parsed.success).toBe(false)
          if (!parsed.success) for (const issue of parsed.error.issues) expect(containsPan(issue.message)).toBe(false)
        }
      }),
    )
  })

  it('lets a history file leave out when and by whom an outcome was known (it then only measures)', () => {
    expect(historicalLabelSchema.parse({ transactionId: 'tx-42-0', fraud: false })).toEqual({ transactionId: 'tx-42-0', fraud: false })
    expect(refusedAt({ transactionId: 'tx-42-0' }, historicalLabelSchema)).toEqual(['fraud'])
  })
})

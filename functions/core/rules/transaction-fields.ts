import * as z from 'zod'
import { transactionSchema } from '../transaction.ts'

/**
 * Every dotted path a rule may read under `txn` (`amount`, `merchant.mcc`, `card.last4`, …),
 * derived from the transaction schema so a typo like `txn.amout` fails when the rule set is
 * compiled, not on every transaction at run time.
 */
export const transactionFieldPaths: ReadonlySet<string> = (() => {
  const paths = new Set<string>()
  const walk = (schema: z.ZodType, prefix: string) => {
    const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema
    if (!(inner instanceof z.ZodObject)) return
    for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const path = prefix === '' ? key : `${prefix}.${key}`
      paths.add(path)
      walk(child, path)
    }
  }
  walk(transactionSchema, '')
  return paths
})()

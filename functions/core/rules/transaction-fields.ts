import * as z from 'zod'
import { transactionSchema } from '../transaction.ts'
import type { CelSchema } from './cel-records.ts'

/**
 * Every dotted path a rule may read under `txn` (`amount`, `merchant.mcc`, `card.last4`, …) and
 * each field's CEL type, derived from the transaction schema: a typo like `txn.amout` fails when
 * the rule set is compiled, not on every transaction at run time, and so does a type error such
 * as `txn.amount + "x"`. An integer (`amount`, in cents) is a CEL `int` (cel-records.ts hands it
 * over as one), another number a `double`, strings, enums and formats `string`, arrays lists.
 */
export const { transactionFieldPaths, transactionCelSchema } = (() => {
  const paths = new Set<string>()
  const walk = (schema: z.ZodObject, prefix: string): CelSchema => {
    const fields: CelSchema = {}
    for (const [key, child] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const path = prefix === '' ? key : `${prefix}.${key}`
      paths.add(path)
      const inner = child instanceof z.ZodOptional ? (child.unwrap() as z.ZodType) : child
      fields[key] = inner instanceof z.ZodObject ? walk(inner, path) : celTypeOf(inner, path)
    }
    return fields
  }
  const transactionCelSchema = walk(transactionSchema, '')
  return { transactionFieldPaths: paths as ReadonlySet<string>, transactionCelSchema }
})()

function celTypeOf(schema: z.ZodType, path: string): string {
  if (schema instanceof z.ZodNumber) return schema.isInt ? 'int' : 'double'
  if (schema instanceof z.ZodArray) return `list<${celTypeOf(schema.element as z.ZodType, path)}>`
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum || schema.type === 'string') return 'string'
  if (schema instanceof z.ZodUnion && schema.options.every((option) => celTypeOf(option as z.ZodType, path) === 'string')) return 'string'
  // A new kind of transaction field must be given a CEL type here before rules can read it.
  throw new Error(`txn.${path}: no CEL type for a ${schema.type} field`)
}

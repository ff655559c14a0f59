import * as z from 'zod'
import type { Priority } from './priority.ts'

/**
 * Seconds allowed per priority: to a first claim or decision while open, and to a supervisor's
 * decision once escalated. Configuration, passed in, so the workflow and the tests share one table.
 */
export const slaTableSchema = z.strictObject({
  critical: z.int().positive(),
  high: z.int().positive(),
  medium: z.int().positive(),
  low: z.int().positive(),
})
export type SlaTable = z.infer<typeof slaTableSchema>

export const defaultSlaTable: SlaTable = { critical: 15 * 60, high: 60 * 60, medium: 4 * 60 * 60, low: 24 * 60 * 60 }

/** The deadline (epoch ms) for a case of `priority` whose clock starts at `from` (epoch ms). */
export function slaDueAt(priority: Priority, from: number, table: SlaTable): number {
  return from + table[priority] * 1000
}

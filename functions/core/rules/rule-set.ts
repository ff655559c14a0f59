import * as z from 'zod'
import { featureDefinitionSchema } from '../features/definition.ts'

export const ruleModes = ['active', 'shadow'] as const
/** The most a list of a rule set holds, and the longest value in one. */
export const maxListEntries = 100_000
export const maxListValueLength = 256
/** The most rules a rule set holds. */
export const maxRules = 256
export const ruleActions = ['allow', 'review', 'block'] as const

export const ruleIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1–64 characters of a-z 0-9 _ . - (lower case)')
const listName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be snake_case, starting with a letter')

export const ruleSchema = z
  .strictObject({
    id: ruleIdSchema,
    description: z.string().min(1).max(500),
    when: z.string().min(1).max(4000).describe('A CEL expression over txn, features and lists; must yield a bool'),
    score: z.number().finite().optional(),
    action: z.enum(ruleActions).optional(),
    mode: z.enum(ruleModes).default('active'),
    tags: z.array(z.string().min(1).max(64)).max(16).optional(),
  })
  .refine((rule) => rule.score !== undefined || rule.action !== undefined, {
    message: 'needs a score or an action, or it can never change an outcome',
    path: ['score'],
  })

/** The most models a rule set names: each runs on every transaction. */
export const maxModels = 8

export const modelNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be snake_case, starting with a letter')

/**
 * A model the rule set runs, pinned by name and version so that a rule-set version means one
 * behaviour. Shadow: scored and recorded with the decision, never acting (an active rule cannot
 * read it, its weight adds nothing) — what a model does before it is trusted.
 */
export const modelUseSchema = z.strictObject({
  name: modelNameSchema.describe('What rules read: models.<name>'),
  version: z.int().positive(),
  mode: z.enum(ruleModes).default('active'),
  weight: z.number().finite().optional().describe('Adds weight × the model score (0–1) to the decision score while active'),
})

export const ruleSetSchema = z
  .strictObject({
    version: z.int().positive(),
    description: z.string().max(1000).optional(),
    thresholds: z
      .strictObject({ review: z.number().finite(), block: z.number().finite() })
      .refine((t) => t.review <= t.block, { message: 'review must not exceed block', path: ['review'] }),
    features: z.array(featureDefinitionSchema).max(64).default([]),
    lists: z.record(listName, z.array(z.string().max(maxListValueLength)).max(maxListEntries)).default({}),
    models: z.array(modelUseSchema).max(maxModels).default([]),
    rules: z.array(ruleSchema).min(1).max(maxRules),
  })
  .superRefine((set, ctx) => {
    const duplicate = (names: string[], at: 'rules' | 'features' | 'models', what: string) => {
      const seen = new Set<string>()
      names.forEach((name, index) => {
        if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [at, index, at === 'rules' ? 'id' : 'name'], message: `duplicate ${what} "${name}"` })
        seen.add(name)
      })
    }
    duplicate(set.rules.map((r) => r.id), 'rules', 'rule id')
    duplicate(set.features.map((f) => f.name), 'features', 'feature name')
    duplicate(set.models.map((m) => m.name), 'models', 'model name')
  })

export type RuleSetInput = z.input<typeof ruleSetSchema>
export type RuleSet = z.infer<typeof ruleSetSchema>
export type Rule = z.infer<typeof ruleSchema>
export type RuleMode = Rule['mode']
export type RuleAction = NonNullable<Rule['action']>
export type ModelUse = z.infer<typeof modelUseSchema>

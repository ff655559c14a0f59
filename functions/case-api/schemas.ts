/**
 * The case API's wire schemas: what the handler validates requests with, what its responses
 * satisfy (the tests parse them), and what the OpenAPI document is generated from.
 */
import * as z from 'zod'
import { caseSchema, caseStatuses, caseSummarySchema, decideCommandSchema, freeTextSchema, priorities, usernameSchema } from '../core/cases/index.ts'
import { decisionSchema } from '../core/decision.ts'
import { labelSchema, labelSources } from '../core/labels/label.ts'
import { modelFileSchema } from '../core/models/model-file.ts'
import { modelSummarySchema } from '../core/models/model-summary.ts'
import { ruleModes, ruleSetSchema } from '../core/rules/rule-set.ts'
import { transactionSchema } from '../core/transaction.ts'
import { auditPageSize, ruleSetAuditActions } from '../aws/rule-admin.ts'
import { maxLabelsPerRequest } from './routes.ts'

// ---------------------------------------------------------------------------------------------
// Problems (RFC 9457)
// ---------------------------------------------------------------------------------------------

export const issueSchema = z
  .strictObject({
    path: z.string().describe('Where in the body, query or path the problem is: `reason`, `rules[2].when`, `limit`'),
    message: z.string(),
    ruleId: z.string().optional().describe('For rule-set issues: the rule whose expression failed'),
    line: z.int().positive().optional().describe('Line in the rule\'s `when` expression'),
    column: z.int().positive().optional().describe('Column in the rule\'s `when` expression'),
  })
  
export type ApiIssue = z.infer<typeof issueSchema>

export const problemSchema = z
  .strictObject({
    type: z.string().describe('A URN naming the kind of problem: `urn:vigil:problem:<code>`'),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    issues: z.array(issueSchema).optional().describe('Every failing input, with its path'),
  })
  .describe('An error, as application/problem+json (RFC 9457)')
export type Problem = z.infer<typeof problemSchema>

// ---------------------------------------------------------------------------------------------
// Path and query parameters
// ---------------------------------------------------------------------------------------------

export const caseIdParam = caseSchema.shape.caseId
export const transactionIdParam = transactionSchema.shape.transactionId
export const versionParam = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'must be a positive integer')
  .transform(Number)
  .describe('A rule-set version number')

/** `a,b,c` (or a repeated parameter, which API Gateway joins with commas) as a de-duplicated list. */
const commaList = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z
    .string()
    .transform((text) => [...new Set(text.split(',').map((part) => part.trim()))])
    .pipe(z.array(z.enum(values)).min(1))
    .transform((chosen) => values.filter((value) => chosen.includes(value)) as T[number][])
    .describe(`One or more ${what}, comma-separated: ${values.join(', ')}`)

export const openStatuses = ['open', 'in_review', 'escalated'] as const

export const listCasesQuerySchema = z.strictObject({
  status: commaList(caseStatuses, 'statuses').optional().describe(`Statuses to list, comma-separated (${caseStatuses.join(', ')}); default: ${openStatuses.join(',')}`),
  priority: commaList(priorities, 'priorities').optional().describe(`Only these priorities, comma-separated (${priorities.join(', ')})`),
  assignee: usernameSchema.optional().describe('Only cases held (or last held) by this user'),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(z.int().min(1, 'must be an integer from 1 to 100').max(100, 'must be an integer from 1 to 100'))
    .optional()
    .describe('Cases per page, 1–100; default 25'),
  cursor: z.string().max(4096).optional().describe('The `cursor` of the previous page, with the same filters'),
})
export type ListCasesQuery = z.infer<typeof listCasesQuerySchema>

export const ruleStatsQuerySchema = z.strictObject({
  version: versionParam.optional().describe('A stored version; default: the active one'),
})

export const emptyQuerySchema = z.strictObject({})

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

export const noteRequestSchema = z.strictObject({ text: freeTextSchema })
export const decisionRequestSchema = decideCommandSchema
/** A rule set as uploaded and stored (durations as text, modes optional). */
export const ruleSetBodySchema = ruleSetSchema

/** The body of POST /labels around `item`: the handler takes the envelope first, then each item on its own. */
const labelBatch = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    labels: z
      .array(item)
      .min(1, 'must hold at least one label')
      .max(maxLabelsPerRequest, `must hold at most ${maxLabelsPerRequest} labels: send the rest in another request`),
  })
/** As documented: every item a Label. */
export const labelsRequestSchema = labelBatch(labelSchema).describe(
  `1 to ${maxLabelsPerRequest} labels, each answered on its own: an invalid one never fails the others`,
)
/** As validated first: the envelope, whatever the items hold. */
export const labelsEnvelopeSchema = labelBatch(z.unknown())

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export const caseResponseSchema = caseSchema.describe('A case in full: the tokenized transaction (never a PAN), the decision with its fired rules and the values they read, notes and audit trail')
export const caseSummaryResponseSchema = caseSummarySchema

export const caseListSchema = z
  .strictObject({
    items: z.array(caseSummaryResponseSchema),
    cursor: z.string().optional().describe('Present when more cases follow: pass it back as `cursor`'),
  })
  .describe('Cases, oldest SLA deadline first')

export const decisionResponseSchema = z
  .strictObject({
    decision: decisionSchema,
    label: labelSchema
      .optional()
      .describe('The label that stands for the transaction (the newest report from any source: an analyst\'s verdict, a chargeback, …), once the label applier has recorded one'),
  })
  

/** PUT /models: a Vigil model file as `vigil model import` and `vigil train` write it. */
export const modelBodySchema = modelFileSchema

export const modelsResponseSchema = z.strictObject({ models: z.array(modelSummarySchema).describe('Every stored version, by name then version') })

export const ruleSetVersionSchema = z
  .strictObject({
    version: z.int().positive(),
    active: z.boolean(),
    createdAt: z.string().optional(),
    createdBy: z.string().optional(),
  })
  

export const activationRequestSchema = z
  .strictObject({
    version: z.int().positive(),
    requestedBy: usernameSchema,
    requestedAt: z.string(),
    from: z.int().positive().nullable().describe('The active version when it was requested; null before the first activation'),
  })
  .describe('A pending activation: a supervisor other than `requestedBy` approves it with POST /rules/{version}/approve')

export const ruleSetsResponseSchema = z
  .strictObject({
    active: z.strictObject({ version: z.int().positive(), ruleSet: ruleSetBodySchema }).nullable().describe('The version the scorers run, or null before the first activation'),
    versions: z.array(ruleSetVersionSchema).describe('Every stored version, oldest first'),
    requests: z.array(activationRequestSchema).describe('Activations waiting for a second supervisor, lowest version first'),
  })
  

export const activationResponseSchema = z
  .strictObject({
    active: z.int().positive(),
    previous: z.int().positive().nullable(),
  })
  .describe('The scorers pick the new version up within their refresh interval')

export const ruleSetAuditEntrySchema = z
  .strictObject({
    at: z.string(),
    action: z.enum(ruleSetAuditActions).describe('uploaded; activation_requested (by one supervisor); activated (approved by another); rolled_back (to a version that ran before, single-handed)'),
    version: z.int().positive(),
    from: z.int().positive().nullable().describe('The active version before this step; null before the first activation'),
    by: usernameSchema,
    requestedBy: usernameSchema.optional().describe('For an approved activation: who requested it'),
  })
  .describe('One step of rule-set administration')

export const ruleSetAuditResponseSchema = z
  .strictObject({ items: z.array(ruleSetAuditEntrySchema).describe(`The newest ${auditPageSize} steps, newest first`) })
  .describe('The rule-set administration trail: uploads, activation requests, approvals and rollbacks')

export const ruleStatsResponseSchema = z
  .strictObject({
    version: z.int().positive(),
    active: z.boolean(),
    note: z.string().describe('What the figures count, and what they do not (yet)'),
    rules: z.array(
      z.strictObject({
        id: z.string(),
        mode: z.enum(ruleModes).optional(),
        hits: z.int().nonnegative().describe('Decisions the rule fired in under this version, as the scorer counts them (see `note`)'),
        fraud: z.int().nonnegative().describe('Transactions this rule fired on that are labeled fraud, by any source'),
        legitimate: z.int().nonnegative().describe('Transactions this rule fired on that are labeled legitimate, by any source'),
        bySource: z
          .strictObject({
            fraud: z.partialRecord(z.enum(labelSources), z.int().nonnegative()),
            legitimate: z.partialRecord(z.enum(labelSources), z.int().nonnegative()),
          })
          .describe('The same counts by the source of the label that set each verdict (analyst, chargeback, issuer, customer)'),
        precision: z.number().min(0).max(1).nullable().describe('fraud / (fraud + legitimate); null without a labeled hit'),
      }),
    ),
  })
  

export const labelStatuses = ['accepted', 'duplicate', 'superseded', 'unknown_transaction', 'invalid', 'failed'] as const
export type LabelStatus = (typeof labelStatuses)[number]

export const labelResultSchema = z
  .strictObject({
    index: z.int().nonnegative().describe('The label\'s position in `labels`'),
    transactionId: z.string().optional().describe('The label\'s transaction, when its id is valid'),
    status: z
      .enum(labelStatuses)
      .describe(
        'accepted: sent, it changes or first sets what is known of the transaction. duplicate: says what is known already (the standing label or an earlier item of this request); not sent. superseded: reported before the standing label and saying otherwise, so the newer word stands; not sent. unknown_transaction: no decision on the transaction yet; sent, and applied when the transaction is scored. invalid: not a label (see `issues`); not sent. failed: the labels stream refused it after retries; send it again (sending again is idempotent).',
      ),
    issues: z.array(issueSchema).optional().describe('For invalid: every failing field, with its path (`labels[3].reportedAt`); for failed: why'),
  })
  .describe('The answer to one label, in request order')

export const labelsResponseSchema = z
  .strictObject({
    counts: z.strictObject(Object.fromEntries(labelStatuses.map((status) => [status, z.int().nonnegative()])) as Record<LabelStatus, z.ZodInt>),
    items: z.array(labelResultSchema),
  })
  .describe('Every label answered, in request order, and how many of each status')
export type LabelsResponse = z.infer<typeof labelsResponseSchema>

export const openApiResponseSchema = z.looseObject({ openapi: z.string() })

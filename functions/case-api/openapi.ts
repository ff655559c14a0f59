/**
 * The OpenAPI 3.1 document of the case API, generated from the route list and the zod schemas
 * the handler validates with (`z.toJSONSchema`, JSON Schema 2020-12, OpenAPI 3.1's dialect), so
 * the document cannot drift from what the handler accepts.
 */
import * as z from 'zod'
import { caseApiRoutes, labelsWriteScope, maxLabelsPerRequest, type CaseApiOperation, type CaseApiRoute } from './routes.ts'
import { labelSchema } from '../core/labels/label.ts'
import { modelSummarySchema } from '../core/models/model-summary.ts'
import {
  activationRequestSchema,
  activationResponseSchema,
  caseIdParam,
  caseListSchema,
  caseResponseSchema,
  caseSummaryResponseSchema,
  decisionRequestSchema,
  decisionResponseSchema,
  emptyQuerySchema,
  issueSchema,
  labelResultSchema,
  labelsRequestSchema,
  labelsResponseSchema,
  listCasesQuerySchema,
  modelBodySchema,
  modelsResponseSchema,
  noteRequestSchema,
  openApiResponseSchema,
  problemSchema,
  ruleSetAuditEntrySchema,
  ruleSetAuditResponseSchema,
  ruleSetBodySchema,
  ruleSetsResponseSchema,
  ruleSetVersionSchema,
  ruleStatsQuerySchema,
  ruleStatsResponseSchema,
  transactionIdParam,
  versionParam,
} from './schemas.ts'

type ObjectSchema = z.ZodObject<z.ZodRawShape>

/** What the handler does per operation: its parameters, body and responses. */
export interface OperationSpec {
  summary: string
  description?: string
  path?: Record<string, z.ZodType>
  query: ObjectSchema
  body?: z.ZodType
  success: { status: 200 | 201; description: string; schema: z.ZodType }
  /** A second success: 202 where the request was recorded but takes effect only on another's approval. */
  accepted?: { description: string; schema: z.ZodType }
  /** Error statuses besides the ones every route can answer (400, 401, 403, 404, 405, 413, 500). */
  errors?: readonly number[]
}

const commandErrors = [409] as const

export const operations: Record<CaseApiOperation, OperationSpec> = {
  listCases: {
    summary: 'The analysts\' queue',
    description: 'Cases of the given statuses (default: open, in_review, escalated), oldest SLA deadline first, a page at a time.',
    query: listCasesQuerySchema,
    success: { status: 200, description: 'A page of cases', schema: caseListSchema },
  },
  getCase: {
    summary: 'A case in full',
    path: { id: caseIdParam },
    query: emptyQuerySchema,
    success: { status: 200, description: 'The case', schema: caseResponseSchema },
  },
  claimCase: {
    summary: 'Claim a case',
    description: 'Open or escalated → in_review, held by the caller. No body.',
    path: { id: caseIdParam },
    query: emptyQuerySchema,
    success: { status: 200, description: 'The claimed case', schema: caseResponseSchema },
    errors: commandErrors,
  },
  addNote: {
    summary: 'Add a note to a case',
    path: { id: caseIdParam },
    query: emptyQuerySchema,
    body: noteRequestSchema,
    success: { status: 200, description: 'The case with the note', schema: caseResponseSchema },
    errors: [409, 415],
  },
  decideCase: {
    summary: 'Decide a case',
    description: 'In review or escalated → closed with the verdict, which resumes the case workflow (block list, label). The assignee or a supervisor decides.',
    path: { id: caseIdParam },
    query: emptyQuerySchema,
    body: decisionRequestSchema,
    success: { status: 200, description: 'The closed case', schema: caseResponseSchema },
    errors: [409, 415],
  },
  getDecision: {
    summary: 'The scorer\'s decision on a transaction',
    path: { id: transactionIdParam },
    query: emptyQuerySchema,
    success: { status: 200, description: 'The decision, with the analysts\' label if there is one', schema: decisionResponseSchema },
  },
  listRuleSets: {
    summary: 'The active rule set and every stored version',
    query: emptyQuerySchema,
    success: { status: 200, description: 'Rule-set versions', schema: ruleSetsResponseSchema },
  },
  putRuleSet: {
    summary: 'Store a new rule-set version (supervisors)',
    description: 'Validated and compiled first: a broken rule set is a 400 listing every issue with the rule id, line and column. The version is stored, not activated.',
    query: emptyQuerySchema,
    body: ruleSetBodySchema,
    success: { status: 201, description: 'The stored version', schema: ruleSetVersionSchema },
    errors: [409, 415],
  },
  ruleStats: {
    summary: 'Per-rule hits, label counts and precision',
    description: 'For each rule of the active version (or `version`): how often it fired, the analysts\' verdicts on cases it fired on, and precision = fraud / (fraud + legitimate).',
    query: ruleStatsQuerySchema,
    success: { status: 200, description: 'Per-rule statistics', schema: ruleStatsResponseSchema },
  },
  activateRuleSet: {
    summary: 'Ask for a stored version to be activated, or roll back to one (supervisors)',
    description:
      'Four eyes: a version that never ran is not activated by this call but gets a pending request (202), which a different supervisor approves with POST /rules/{version}/approve. A version that was active before is rolled back to at once (200). The stored set is checked again at every step. Every step is in GET /rules/audit.',
    path: { version: versionParam },
    query: emptyQuerySchema,
    success: { status: 200, description: 'Rolled back: the active version now, and the one it replaced', schema: activationResponseSchema },
    accepted: { description: 'Requested: the version waits for a second supervisor\'s approval', schema: activationRequestSchema },
    errors: [409],
  },
  approveRuleSet: {
    summary: 'Approve another supervisor\'s activation request (supervisors)',
    description: 'Activates the requested version. The supervisor who requested it cannot approve it (403 `self_approval`).',
    path: { version: versionParam },
    query: emptyQuerySchema,
    success: { status: 200, description: 'The active version now, and the one it replaced', schema: activationResponseSchema },
    errors: [409],
  },
  ruleSetAudit: {
    summary: 'The rule-set administration trail',
    description: 'Who uploaded, requested, approved or rolled back which version, when, and what was active before: the newest entries first.',
    query: emptyQuerySchema,
    success: { status: 200, description: 'Audit entries, newest first', schema: ruleSetAuditResponseSchema },
  },
  listModels: {
    summary: 'Every stored model version',
    description: 'What each version reads (features), where it came from (source, training window, metrics), its checksum and who uploaded it. A rule set runs a version by pinning it in its `models` section.',
    query: emptyQuerySchema,
    success: { status: 200, description: 'Model versions', schema: modelsResponseSchema },
  },
  putModel: {
    summary: 'Store a model version (supervisors)',
    description:
      'A Vigil model file (`vigil model import`, `vigil train`); its checksum must hold. 201 when stored; 200 when this exact file is already stored (a retried upload); 409 `version_exists` when the version holds another file. Storing does not run it: a rule-set version that names it does, once activated (four eyes), in shadow or active mode.',
    query: emptyQuerySchema,
    body: modelBodySchema,
    success: { status: 201, description: 'The stored version', schema: modelSummarySchema },
    errors: [409, 415],
  },
  postLabels: {
    summary: 'Report confirmed outcomes of transactions (labels)',
    description: `1 to ${maxLabelsPerRequest} labels (more: 400 naming \`labels\`), each answered on its own, in order, with counts: an invalid label never fails the others. A label is resolved against the label that stands for its transaction and the request's earlier labels, as the label applier resolves it: duplicates and superseded labels are answered and not sent (except a duplicate reported later, which becomes the newest word and counts nothing); the rest go to the labels stream, where the applier applies each exactly once. A label of a transaction not scored yet is \`unknown_transaction\`, sent, and applied when the transaction arrives. \`failed\`: the stream refused it; send it again (every status is idempotent, so a whole request may be resent). Analysts, supervisors, and machine clients with the \`${labelsWriteScope}\` scope (client credentials, e.g. a chargeback feed), which may call this route only.`,
    query: emptyQuerySchema,
    body: labelsRequestSchema,
    success: { status: 200, description: 'Every label answered', schema: labelsResponseSchema },
    errors: [415],
  },
  openApi: {
    summary: 'This document',
    query: emptyQuerySchema,
    success: { status: 200, description: 'The OpenAPI 3.1 document', schema: openApiResponseSchema },
  },
}

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input: malformed JSON, or a body, query or path that fails validation (every failing path in `issues`)',
  401: 'No or an invalid bearer token',
  403: 'The caller\'s role may not do this (`forbidden`, `not_assignee`, `supervisor_only` for an escalated case, `self_approval` for one\'s own activation request)',
  404: 'No such resource or route',
  405: 'The path exists, but not with this method',
  409: 'The request conflicts with the current state (a concurrent change, a closed case, an existing version)',
  413: 'The body exceeds the route\'s limit',
  415: 'The body is not JSON',
  500: 'An unexpected error',
}

const commonErrors = [400, 401, 403, 404, 405, 413, 500]

/** Components, named once: referenced from operations and from each other. */
const components: Record<string, z.ZodType> = {
  Problem: problemSchema,
  Issue: issueSchema,
  Case: caseResponseSchema,
  CaseSummary: caseSummaryResponseSchema,
  CaseList: caseListSchema,
  NoteRequest: noteRequestSchema,
  DecisionRequest: decisionRequestSchema,
  StoredDecision: decisionResponseSchema,
  RuleSet: ruleSetBodySchema,
  RuleSetVersion: ruleSetVersionSchema,
  RuleSets: ruleSetsResponseSchema,
  Activation: activationResponseSchema,
  ActivationRequest: activationRequestSchema,
  RuleSetAuditEntry: ruleSetAuditEntrySchema,
  RuleSetAudit: ruleSetAuditResponseSchema,
  ModelFile: modelBodySchema,
  ModelSummary: modelSummarySchema,
  Models: modelsResponseSchema,
  RuleStats: ruleStatsResponseSchema,
  Label: labelSchema,
  LabelsRequest: labelsRequestSchema,
  LabelResult: labelResultSchema,
  LabelsResponse: labelsResponseSchema,
  OpenApiDocument: openApiResponseSchema,
}

type JsonSchema = Record<string, unknown>

// Requests are described as clients send them; responses are the same shapes (no defaults or
// transforms apply to what the handler returns), so one input-side pass describes both.
const options = { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' } as const

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema
  return rest
}

function componentSchemas(): { schemas: Record<string, JsonSchema>; refs: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string }>()
  const refs = new Map<z.ZodType, string>()
  for (const [id, schema] of Object.entries(components)) {
    registry.add(schema, { id })
    refs.set(schema, `#/components/schemas/${id}`)
  }
  const generated = z.toJSONSchema(registry, { ...options, uri: (id) => `#/components/schemas/${id}` }).schemas as Record<string, JsonSchema>
  const schemas: Record<string, JsonSchema> = {}
  for (const [id, schema] of Object.entries(generated)) {
    if (id === '__shared') {
      // Schemas used twice without a name: their $refs point at `#/components/schemas/__shared#/$defs/…`.
      schemas[id] = schema
      continue
    }
    schemas[id] = withoutDialect(schema)
  }
  return { schemas, refs }
}

function schemaOf(schema: z.ZodType, refs: Map<z.ZodType, string>): JsonSchema {
  const ref = refs.get(schema)
  return ref ? { $ref: ref } : withoutDialect(z.toJSONSchema(schema, options) as JsonSchema)
}

function parameters(spec: OperationSpec, refs: Map<z.ZodType, string>): JsonSchema[] {
  const out: JsonSchema[] = []
  const parameter = (name: string, where: 'path' | 'query', field: z.ZodType, required: boolean) => {
    const { description, ...schema } = schemaOf(field, refs)
    out.push({ name, in: where, required, ...(description ? { description } : {}), schema })
  }
  for (const [name, field] of Object.entries(spec.path ?? {})) parameter(name, 'path', field, true)
  for (const [name, field] of Object.entries(spec.query.shape)) parameter(name, 'query', field as z.ZodType, !(field as z.ZodType).safeParse(undefined).success)
  return out
}

function operation(route: CaseApiRoute, spec: OperationSpec, refs: Map<z.ZodType, string>): JsonSchema {
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
  const responses: Record<string, unknown> = {
    [String(spec.success.status)]: { description: spec.success.description, content: { 'application/json': { schema: schemaOf(spec.success.schema, refs) } } },
    ...(spec.accepted ? { 202: { description: spec.accepted.description, content: { 'application/json': { schema: schemaOf(spec.accepted.schema, refs) } } } } : {}),
  }
  for (const status of [...new Set([...commonErrors, ...(spec.errors ?? [])])].sort((a, b) => a - b)) {
    responses[String(status)] = { description: errorDescriptions[status] ?? 'An error', content: problem }
  }
  return {
    operationId: route.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [route.path === '/openapi.json' ? 'meta' : route.path.split('/')[1]],
    security: [{ bearerAuth: [] }],
    'x-vigil-role': route.role,
    ...(route.clientScope === undefined ? {} : { 'x-vigil-client-scope': route.clientScope }),
    parameters: parameters(spec, refs),
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(spec.body, refs) } } } } : {}),
    responses,
  }
}

let cached: JsonSchema | undefined

/** The document (built once per process). */
export function openApiDocument(): JsonSchema {
  if (cached) return cached
  const { schemas, refs } = componentSchemas()
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of caseApiRoutes) {
    paths[route.path] ??= {}
    paths[route.path]![route.method.toLowerCase()] = operation(route, operations[route.operationId], refs)
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Vigil case review API',
      version: '1.0.0',
      description:
        'Analysts review the cases the scorer opened: list, claim, note and decide them; supervisors manage rule sets; analysts and machine clients (chargeback feeds) report labels. Every route takes a JWT bearer token; `x-vigil-role` names the least role (a `cognito:groups` group) it needs, and `x-vigil-client-scope` the scope that admits a machine client (client credentials) to it. Errors are application/problem+json.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access or ID token from the Cognito user pool' } },
      schemas,
    },
  }
  return cached
}

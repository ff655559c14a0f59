import { Environment, type ASTNode } from '@marcbachmann/cel-js'
import { err, ok, type Result } from '../result.ts'
import { unboundedWork } from './bounded-work.ts'
import { registerRecordType } from './cel-records.ts'
import { registerLinearMatches } from './linear-regex.ts'
import { transactionCelSchema, transactionFieldPaths } from './transaction-fields.ts'
import type { FeatureCelType } from './feature-types.ts'

/**
 * Rule conditions are CEL (cel.dev): a standard, side-effect-free, non-Turing-complete language.
 * The parser's limits bound an expression's size; bounded-work.ts and the linear-time `matches`
 * bound its work; every variable is declared with its fields' types, so a type error is refused
 * when the rule set is compiled, with the rule and the position, rather than erroring on every
 * transaction.
 */
const base = registerLinearMatches(
  new Environment({
    limits: { maxAstNodes: 400, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 },
  }),
)
  .registerFunction({
    signature: 'localHour(string): int',
    // occurredAt is validated ISO 8601 with the producer's own offset: its hour digits are local time.
    handler: (iso: string) => BigInt(Number(iso.slice(11, 13))),
    description: 'Hour of day (0–23) in the zone the timestamp was written in',
  })
  // cel-js looks a miss up by scanning the whole set (for equality across numeric types); a list
  // of the rule set holds strings, so the set's own lookup is exact and O(1).
  .registerOperator('string in list<string>', (value: string, list: ReadonlySet<string> | readonly string[]) =>
    list instanceof Set ? list.has(value) : (list as readonly string[]).includes(value),
  )

/**
 * Numbers behave as a rule author expects: `10 * features.avg` or `txn.amount > 1.5 *
 * features.max`, an int and a double, compute in double (CEL alone has no such overloads and
 * fails at run time), and `features.avg == 5` compares values. Comparisons across the two
 * (`<`, `>=`) are CEL's own.
 */
const arithmetic = { '+': (a: number, b: number) => a + b, '-': (a: number, b: number) => a - b, '*': (a: number, b: number) => a * b, '/': (a: number, b: number) => a / b }
for (const [op, apply] of Object.entries(arithmetic)) {
  base.registerOperator(`int ${op} double: double`, (a: bigint, b: number) => apply(Number(a), b))
  base.registerOperator(`double ${op} int: double`, (a: number, b: bigint) => apply(a, Number(b)))
}
// Registers both orders, and `!=`.
base.registerOperator('int == double', (a: bigint, b: number) => Number(a) === b)

const toTransaction = registerRecordType(base, 'vigil.Transaction', transactionCelSchema)
base.registerVariable('txn', { type: 'vigil.Transaction', description: 'The transaction being scored (card tokenized)' })

/** What a condition runs on: records of the declared types (cel-records.ts) and the rule set's lists. */
export interface ExpressionContext {
  txn: object
  features: object
  lists: Record<string, ReadonlySet<string>>
  models: object
}

export interface ExpressionReads {
  features: string[]
  lists: string[]
  models: string[]
  txnPaths: string[]
}

export interface CompiledExpression {
  evaluate: (context: ExpressionContext) => unknown
  reads: ExpressionReads
}

export interface ExpressionError {
  message: string
  offset: number
  line: number
  column: number
}

export interface ExpressionScope {
  features: ReadonlyMap<string, FeatureCelType>
  lists: ReadonlySet<string>
  models: ReadonlySet<string>
}

export interface ExpressionEnvironment {
  environment: Environment
  /** The context for the set's conditions, from a transaction, its feature values and model scores as scoring has them. */
  context(txn: object, features: object, lists: Record<string, ReadonlySet<string>>, models: object): ExpressionContext
}

/** The environment of one rule set: `features` and `models` typed with the names it declares. */
export function expressionEnvironment(scope: ExpressionScope): ExpressionEnvironment {
  const environment = base.clone()
  const toFeatures = registerRecordType(environment, 'vigil.Features', Object.fromEntries(scope.features))
  const toModels = registerRecordType(environment, 'vigil.Models', Object.fromEntries([...scope.models].map((name) => [name, 'double'])))
  environment
    .registerVariable('features', { type: 'vigil.Features', description: 'Feature values by name, from history before this transaction' })
    .registerVariable('lists', { type: 'map<string, list<string>>', description: 'Named value lists of the rule set' })
    .registerVariable('models', { type: 'vigil.Models', description: 'Each model’s fraud probability (0–1) for this transaction' })
  return { environment, context: (txn, features, lists, models) => ({ txn: toTransaction(txn), features: toFeatures(features), lists, models: toModels(models) }) }
}

/**
 * Parses, checks and analyses one condition in its rule set's environment. Every problem found is
 * returned, not only the first: all unknown names, or else the type error, and every construct of
 * unbounded work.
 */
export function compileExpression(source: string, scope: ExpressionScope, env: Environment): Result<CompiledExpression, ExpressionError[]> {
  let parsed: ReturnType<Environment['parse']>
  try {
    parsed = env.parse(source)
  } catch (error) {
    return err([locate(source, error)])
  }
  const reads: ExpressionReads = { features: [], lists: [], models: [], txnPaths: [] }
  const problems = collectReads(parsed.ast, scope, reads, source)
  if (problems.length === 0) {
    const checked = parsed.check()
    if (!checked.valid) problems.push(locate(source, checked.error))
    else if (checked.type !== 'bool') problems.push(at(source, 0, `must yield a bool, not ${checked.type}`))
  }
  for (const { offset, message } of unboundedWork(parsed.ast)) problems.push(at(source, offset, message))
  if (problems.length > 0) return err(problems)
  return ok({ evaluate: parsed, reads })
}

/** A `.` chain rooted at a variable, e.g. `txn.merchant.mcc` → ["txn", "merchant", "mcc"]. */
function memberChain(node: ASTNode): string[] | undefined {
  if (node.op === 'id') return [node.args]
  if (node.op !== '.') return undefined
  const head = memberChain(node.args[0])
  return head && [...head, node.args[1]]
}

function collectReads(node: unknown, scope: ExpressionScope, reads: ExpressionReads, source: string, problems: ExpressionError[] = []): ExpressionError[] {
  if (Array.isArray(node)) {
    for (const child of node) collectReads(child, scope, reads, source, problems)
    return problems
  }
  if (!isNode(node)) return problems
  const chain = node.op === '.' ? memberChain(node) : undefined
  if (chain && chain.length >= 2) {
    const [root, name] = chain as [string, string]
    const path = chain.slice(1).join('.')
    if (root === 'features') {
      if (!scope.features.has(name)) problems.push(at(source, node.pos, `reads feature "${name}", which the rule set does not declare`))
      else push(reads.features, name)
    } else if (root === 'lists') {
      if (!scope.lists.has(name)) problems.push(at(source, node.pos, `reads list "${name}", which the rule set does not declare`))
      else push(reads.lists, name)
    } else if (root === 'models') {
      if (!scope.models.has(name)) problems.push(at(source, node.pos, `reads model "${name}", which the rule set does not name`))
      else push(reads.models, name)
    } else if (root === 'txn') {
      if (!transactionFieldPaths.has(path)) problems.push(at(source, node.pos, `reads txn.${path}, which a transaction does not have`))
      else push(reads.txnPaths, path)
    }
    return problems
  }
  return collectReads(node.args, scope, reads, source, problems)
}

const isNode = (value: unknown): value is ASTNode => typeof value === 'object' && value !== null && 'op' in value && 'args' in value

const push = (list: string[], item: string) => {
  if (!list.includes(item)) list.push(item)
}

function locate(source: string, error: unknown): ExpressionError {
  const e = error as { summary?: string; message?: string; range?: { start: number } }
  return at(source, e.range?.start ?? 0, e.summary ?? e.message ?? String(error))
}

function at(source: string, offset: number, message: string): ExpressionError {
  const before = source.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  return { message, offset, line, column }
}

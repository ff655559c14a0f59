import { Environment, type ASTNode } from '@marcbachmann/cel-js'
import { err, ok, type Result } from '../result.ts'
import { transactionFieldPaths } from './transaction-fields.ts'

/**
 * Rule conditions are CEL (cel.dev): a standard, side-effect-free, non-Turing-complete language.
 * The parser's limits bound what one rule may cost to evaluate.
 */
const environment = new Environment({
  limits: { maxAstNodes: 400, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 },
})
  .registerVariable('txn', 'map', { description: 'The transaction being scored (card tokenized)' })
  .registerVariable('features', 'map', { description: 'Feature values by name, from history before this transaction' })
  .registerVariable('lists', 'map', { description: 'Named value lists of the rule set' })
  .registerFunction({
    signature: 'localHour(string): int',
    // occurredAt is validated ISO 8601 with the producer's own offset: its hour digits are local time.
    handler: (iso: string) => BigInt(Number(iso.slice(11, 13))),
    description: 'Hour of day (0–23) in the zone the timestamp was written in',
  })

export interface ExpressionContext {
  txn: unknown
  features: Record<string, unknown>
  lists: Record<string, ReadonlySet<string>>
}

export interface ExpressionReads {
  features: string[]
  lists: string[]
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
  features: ReadonlySet<string>
  lists: ReadonlySet<string>
}

export function compileExpression(source: string, scope: ExpressionScope): Result<CompiledExpression, ExpressionError> {
  let parsed: ReturnType<Environment['parse']>
  try {
    parsed = environment.parse(source)
  } catch (error) {
    return err(locate(source, error))
  }
  const checked = parsed.check()
  if (!checked.valid) return err(locate(source, checked.error))
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    return err(at(source, 0, `must yield a bool, not ${checked.type}`))
  }
  const reads: ExpressionReads = { features: [], lists: [], txnPaths: [] }
  const problem = collectReads(parsed.ast, scope, reads, source)
  if (problem) return err(problem)
  return ok({ evaluate: parsed, reads })
}

/** A `.` chain rooted at a variable, e.g. `txn.merchant.mcc` → ["txn", "merchant", "mcc"]. */
function memberChain(node: ASTNode): string[] | undefined {
  if (node.op === 'id') return [node.args]
  if (node.op !== '.') return undefined
  const head = memberChain(node.args[0])
  return head && [...head, node.args[1]]
}

function collectReads(node: unknown, scope: ExpressionScope, reads: ExpressionReads, source: string): ExpressionError | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const problem = collectReads(child, scope, reads, source)
      if (problem) return problem
    }
    return undefined
  }
  if (!isNode(node)) return undefined
  const chain = node.op === '.' ? memberChain(node) : undefined
  if (chain && chain.length >= 2) {
    const [root, name] = chain as [string, string]
    const path = chain.slice(1).join('.')
    if (root === 'features') {
      if (!scope.features.has(name)) return at(source, node.pos, `reads feature "${name}", which the rule set does not declare`)
      push(reads.features, name)
    } else if (root === 'lists') {
      if (!scope.lists.has(name)) return at(source, node.pos, `reads list "${name}", which the rule set does not declare`)
      push(reads.lists, name)
    } else if (root === 'txn') {
      if (!transactionFieldPaths.has(path)) return at(source, node.pos, `reads txn.${path}, which a transaction does not have`)
      push(reads.txnPaths, path)
    }
    return undefined
  }
  return collectReads(node.args, scope, reads, source)
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

import type { ASTNode, Environment } from '@marcbachmann/cel-js'
import { RE2JS } from 're2js'

/**
 * CEL's `matches` on a linear-time engine. cel-js runs `string.matches` on JavaScript's
 * backtracking `RegExp`, where `'^([a-z0-9]+-?)*$'` takes seconds on a 28-character device id
 * and doubles with each character more. CEL specifies RE2 syntax; RE2JS (a pure-JS port of RE2)
 * matches in time linear in the input, so no pattern can stall the scorer. Backreferences and
 * lookarounds, which have no linear-time algorithm, are RE2 syntax errors: refused at compile time.
 *
 * The pattern must be a string literal, so it is compiled and checked once, when the rule set is
 * compiled, and an invalid one is reported with the rule and its position.
 */
export function registerLinearMatches(environment: Environment): Environment {
  // A built-in overload cannot be replaced, but cel-js expands a macro by name, receiver and arity
  // before it resolves overloads: declared on `bytes` (which does not overlap `string`, so the
  // registration is allowed) it takes over every `x.matches(p)` call, whatever x is.
  return environment.registerFunction('bytes.matches(ast): bool', ({ receiver, args }: MacroInput) => new MatchesMacro(receiver, args[0]!), {
    description: 'RE2 (linear-time) search: true if the pattern matches any part of the string; the pattern must be a string literal',
  })
}

interface MacroInput {
  receiver: ASTNode
  args: ASTNode[]
}

interface Checker {
  check(node: ASTNode, ctx: unknown): { type: string; kind: string }
  getType(name: string): unknown
  createError(code: string, message: string, node: ASTNode): Error
}

interface Evaluator {
  run(node: ASTNode, ctx: unknown): unknown
}

class MatchesMacro {
  readonly async = false
  private readonly receiver: ASTNode
  private readonly pattern: ASTNode
  private regex: RE2JS | undefined

  constructor(receiver: ASTNode, pattern: ASTNode) {
    this.receiver = receiver
    this.pattern = pattern
  }

  typeCheck(checker: Checker, macro: MatchesMacro, ctx: unknown): unknown {
    const received = checker.check(macro.receiver, ctx)
    if (received.type !== 'string' && received.kind !== 'dyn') {
      throw checker.createError('no_matching_overload', `matches() applies to a string, not ${received.type}`, macro.receiver)
    }
    if (macro.pattern.op !== 'value' || typeof macro.pattern.args !== 'string') {
      throw checker.createError('invalid_argument', 'the matches() pattern must be a string literal (it is compiled with the rule set)', macro.pattern)
    }
    try {
      macro.compiled()
    } catch (error) {
      throw checker.createError('invalid_regular_expression', `invalid RE2 pattern: ${(error as Error).message}`, macro.pattern)
    }
    return checker.getType('bool')
  }

  evaluate(evaluator: Evaluator, macro: MatchesMacro, ctx: unknown): boolean {
    const text = evaluator.run(macro.receiver, ctx)
    if (typeof text !== 'string') throw new Error(`matches() applies to a string, not ${typeof text}`)
    return macro.compiled().test(text)
  }

  private compiled(): RE2JS {
    return (this.regex ??= RE2JS.compile(this.pattern.args as string))
  }
}

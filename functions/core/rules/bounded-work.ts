import type { ASTNode } from '@marcbachmann/cel-js'

/**
 * The parser's limits bound an expression's size, not its work: three `exists` nested over a
 * 300-entry list are 27 million steps (seconds for every transaction). A condition's work must
 * be at most linear in the size of the lists it reads, so these are refused:
 *
 * - a comprehension (`all`, `exists`, `exists_one`, `map`, `filter`) inside another one's body:
 *   the work multiplies. One after another (`l.filter(…).exists(…)`) only adds and is allowed;
 * - a whole list of the rule set read inside a comprehension's body, other than by `x in lists.y`
 *   (a hash lookup): concatenating, comparing or joining it once per element is quadratic too;
 * - `cel.bind`, which can double a string at each level of nesting.
 *
 * What stays is linear, and its constant is what the per-transaction budget measures
 * (functions/rule-budget/).
 */
export interface WorkProblem {
  offset: number
  message: string
}

/** cel-js expands these receiver calls into comprehensions (loops over the receiver). */
const comprehensions = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])

export function unboundedWork(root: ASTNode): WorkProblem[] {
  const problems: WorkProblem[] = []
  const visit = (node: unknown, loop: string | undefined, inOperand: boolean): void => {
    if (Array.isArray(node)) return node.forEach((child) => visit(child, loop, false))
    if (!isNode(node)) return
    if (node.op === 'rcall') {
      const [name, receiver, args] = node.args
      if (comprehensions.has(name) && args.length >= 2) {
        if (loop) problems.push({ offset: node.pos, message: `${name}() inside ${loop}(): nested comprehensions multiply their work; write one after the other, or use \`in\`` })
        // A list iterated by a refused comprehension is not reported a second time.
        visit(receiver, loop, loop !== undefined)
        args.slice(1).forEach((arg) => visit(arg, name, false))
        return
      }
      if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel') {
        problems.push({ offset: node.pos, message: 'cel.bind is not available in rules: nested, it doubles a value at each level' })
        return
      }
    }
    if (loop && !inOperand && node.op === '.' && node.args[0].op === 'id' && node.args[0].args === 'lists') {
      problems.push({ offset: node.pos, message: `reads all of lists.${node.args[1]} inside ${loop}(): once per element is quadratic; only \`x in lists.${node.args[1]}\` (a lookup) is allowed there` })
      return
    }
    if (node.op === 'in') {
      visit(node.args[0], loop, false)
      visit(node.args[1], loop, true)
      return
    }
    visit(node.args, loop, false)
  }
  visit(root, undefined, false)
  return problems
}

const isNode = (value: unknown): value is ASTNode => typeof value === 'object' && value !== null && 'op' in value && 'args' in value

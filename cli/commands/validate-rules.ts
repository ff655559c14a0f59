import { parseArgs } from 'node:util'
import { checkRuleSetCost, defaultBudgetMs, format } from '../../functions/rule-budget/budget.ts'
import { formatIssues, loadRuleSet } from '../rule-set-file.ts'
import { UsageError } from '../usage-error.ts'

export const validateRulesUsage = `vigil validate-rules FILE [--model MODEL.json ...] [--budget-ms MS]

Validates and compiles a rule set: schema, every CEL expression (types included), every feature,
list and transaction field the rules read, and work that cannot be bounded (nested comprehensions,
cel.bind). Every problem of every rule is reported at once. A set that compiles is then measured on
worst-case transactions and refused if one would cost more than --budget-ms (default
${defaultBudgetMs}) with all its rules. A rule set naming models (its "models" section) needs each named version's
file, --model, once per model. Exits 0 when it would load, 1 with each problem otherwise.`

export async function validateRules(args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'budget-ms': { type: 'string', default: String(defaultBudgetMs) }, model: { type: 'string', multiple: true } } })
  } catch (error) {
    throw new UsageError((error as Error).message, validateRulesUsage)
  }
  const [file, ...rest] = parsed.positionals
  if (!file || rest.length > 0) throw new UsageError('validate-rules takes one FILE', validateRulesUsage)
  const budgetMs = Number(parsed.values['budget-ms'])
  if (!(budgetMs > 0)) throw new UsageError('--budget-ms must be a positive number of milliseconds', validateRulesUsage)
  const result = await loadRuleSet(file, parsed.values.model)
  if (!result.ok) {
    process.stderr.write(`${file}: invalid rule set\n${formatIssues(result.error)}\n`)
    return 1
  }
  const cost = checkRuleSetCost(result.value, { budgetMs })
  if (!cost.ok) {
    process.stderr.write(`${file}: rule set over its budget\n${formatIssues(cost.error.issues)}\n`)
    return 1
  }
  const { version, rules, features, lists, models } = result.value
  const shadow = rules.filter((r) => r.mode === 'shadow').length
  const named = models.map((m) => `${m.name} v${m.version}${m.mode === 'shadow' ? ' (shadow)' : ''}`)
  process.stdout.write(
    `${file}: valid rule set version ${version}: ${rules.length} rules (${shadow} shadow), ${features.length} features, ${Object.keys(lists).length} lists${named.length > 0 ? `, models ${named.join(', ')}` : ''}; ` +
      `worst case ${format(cost.value.worstMs)} ms a transaction (budget ${budgetMs} ms)\n`,
  )
  return 0
}

import { formatIssues, loadRuleSet } from '../rule-set-file.ts'
import { UsageError } from '../usage-error.ts'

export const validateRulesUsage = `vigil validate-rules FILE

Validates and compiles a rule set: schema, every CEL expression, and every feature, list and
transaction field the rules read. Exits 0 when it would load, 1 with each problem otherwise.`

export async function validateRules(args: string[]): Promise<number> {
  const [file, ...rest] = args
  if (!file || rest.length > 0) throw new UsageError('validate-rules takes one FILE', validateRulesUsage)
  const result = await loadRuleSet(file)
  if (!result.ok) {
    process.stderr.write(`${file}: invalid rule set\n${formatIssues(result.error)}\n`)
    return 1
  }
  const { version, rules, features, lists } = result.value
  const shadow = rules.filter((r) => r.mode === 'shadow').length
  process.stdout.write(
    `${file}: valid rule set version ${version}: ${rules.length} rules (${shadow} shadow), ${features.length} features, ${Object.keys(lists).length} lists\n`,
  )
  return 0
}

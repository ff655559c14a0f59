import { readFile } from 'node:fs/promises'
import { compileRuleSet, type CompiledRuleSet, type RuleSetIssue } from '../functions/core/rules/compile.ts'
import { err, type Result } from '../functions/core/result.ts'

/** Reads and compiles a rule-set file; every problem comes back as an issue, never a throw. */
export async function loadRuleSet(path: string): Promise<Result<CompiledRuleSet, RuleSetIssue[]>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    return err([{ path: '', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }])
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return err([{ path: '', message: `${path} is not valid JSON: ${(error as Error).message}` }])
  }
  const compiled = compileRuleSet(json)
  return compiled.ok ? compiled : err(compiled.error.issues)
}

export function formatIssues(issues: readonly RuleSetIssue[]): string {
  return issues.map((i) => `  ${i.ruleId ? `rule ${i.ruleId}: ` : ''}${i.path || '(root)'}: ${i.message}`).join('\n')
}

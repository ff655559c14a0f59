import { readFile } from 'node:fs/promises'
import { compileModel, type CompiledModel } from '../functions/core/models/model-file.ts'
import { compileRuleSet, type CompiledRuleSet, type RuleSetIssue } from '../functions/core/rules/compile.ts'
import { err, ok, type Result } from '../functions/core/result.ts'

/**
 * Reads and compiles a rule-set file with the model files it may name (--model, one per model
 * version); every problem comes back as an issue, never a throw.
 */
export async function loadRuleSet(path: string, modelPaths: readonly string[] = []): Promise<Result<CompiledRuleSet, RuleSetIssue[]>> {
  const json = await readJson(path)
  if (!json.ok) return json
  const models = await loadModels(modelPaths)
  if (!models.ok) return models
  const compiled = compileRuleSet(json.value, { models: models.value })
  return compiled.ok ? compiled : err(compiled.error.issues)
}

/** Reads and compiles model files, refusing any whose checksum or shape is wrong. */
export async function loadModels(paths: readonly string[]): Promise<Result<CompiledModel[], RuleSetIssue[]>> {
  const models: CompiledModel[] = []
  const issues: RuleSetIssue[] = []
  for (const path of paths) {
    const json = await readJson(path)
    if (!json.ok) {
      issues.push(...json.error)
      continue
    }
    const compiled = compileModel(json.value)
    if (compiled.ok) models.push(compiled.value)
    else issues.push(...compiled.error.issues.map((i) => ({ path: `${path}: ${i.path}`, message: i.message })))
  }
  return issues.length > 0 ? err(issues) : ok(models)
}

async function readJson(path: string): Promise<Result<unknown, RuleSetIssue[]>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    return err([{ path: '', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }])
  }
  try {
    return ok(JSON.parse(text) as unknown)
  } catch (error) {
    return err([{ path: '', message: `${path} is not valid JSON: ${(error as Error).message}` }])
  }
}

export function formatIssues(issues: readonly RuleSetIssue[]): string {
  return issues.map((i) => `  ${i.ruleId ? `rule ${i.ruleId}: ` : ''}${i.path || '(root)'}: ${i.message}`).join('\n')
}

import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { modelsResponseSchema, ruleSetsResponseSchema } from '../../functions/case-api/schemas.ts'
import { modelSummarySchema } from '../../functions/core/models/model-summary.ts'
import { modelNameSchema, type ModelUse, type RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { apiClient, apiOptions, apiUsage, unexpected, type ApiClient } from '../api-client.ts'
import { UsageError } from '../usage-error.ts'

/**
 * A model version runs once a rule-set version pins it and that version is activated: the same
 * four eyes, audit trail and rollback as any rule change, and a rule-set version that means one
 * behaviour. `activate` is the shortcut that writes that rule-set version.
 */
export const modelRegistryUsage = `vigil model push --model MODEL.json [API options]
vigil model list [API options]
vigil model activate --name NAME --version N [--shadow] [--weight W] [--user NAME] [API options]
vigil model approve --rule-set-version N [--user NAME] [API options]

push: stores a model version (PUT /models; supervisors). The same file again is harmless; another
file under a stored version is refused: versions never change.
list: every stored version, what it reads and where it came from (GET /models).
activate: a new rule-set version, the active one with the model pinned (--shadow: scored and
recorded with every decision, never acting; otherwise active, and --weight W adds W × its score to
the decision score), stored and asked to be activated. Like every rule change, a second supervisor
approves it: vigil model approve --rule-set-version N (or POST /rules/N/approve). Rules read it as
models.NAME; an active rule cannot read a shadow model.

${apiUsage('--user (default "supervisor"; approve: "second-supervisor") as a supervisor')}`

const registryOptions = { ...apiOptions, user: { type: 'string' } } as const

export async function modelRegistry(sub: string, args: string[]): Promise<number> {
  if (sub === 'push') return push(args)
  if (sub === 'list') return list(args)
  if (sub === 'activate') return activate(args)
  return approve(args)
}

const supervisor = (values: { user?: string }, fallback: string) => ({ username: values.user ?? fallback, group: 'supervisor' as const })

async function push(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...registryOptions, model: { type: 'string' } } })
  if (!values.model) throw new UsageError('model push needs --model', modelRegistryUsage)
  const file: unknown = JSON.parse(await readFile(values.model, 'utf8'))
  const client = await apiClient(values, modelRegistryUsage, supervisor(values, 'supervisor'))
  const answer = await client.send('PUT', '/models', file, { idempotent: true })
  if (answer.status !== 201 && answer.status !== 200) throw unexpected('PUT', client, '/models', answer)
  const stored = modelSummarySchema.parse(answer.body)
  process.stdout.write(`${answer.status === 201 ? 'stored' : 'already stored'}: model ${stored.name} version ${stored.version} (${stored.kind}, ${stored.bytes} bytes, ${stored.checksum})\n`)
  return 0
}

async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: registryOptions })
  const client = await apiClient(values, modelRegistryUsage, { username: values.user ?? 'analyst', group: 'analyst' })
  const answer = await client.send('GET', '/models', undefined, { idempotent: true })
  if (answer.status !== 200) throw unexpected('GET', client, '/models', answer)
  for (const m of modelsResponseSchema.parse(answer.body).models) {
    const metrics = Object.entries(m.metrics ?? {}).map(([k, v]) => `${k} ${v.toFixed(3)}`)
    const training = m.training ? `, trained ${m.training.from.slice(0, 10)}..${m.training.to.slice(0, 10)}` : ''
    process.stdout.write(`${m.name} v${m.version}  ${m.kind} over ${m.features.length} features, ${m.source}${training}${metrics.length ? `, ${metrics.join(', ')}` : ''}; by ${m.createdBy} at ${m.createdAt}\n`)
  }
  return 0
}

async function activate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...registryOptions, name: { type: 'string' }, version: { type: 'string' }, shadow: { type: 'boolean', default: false }, weight: { type: 'string' } } })
  const name = modelNameSchema.safeParse(values.name)
  const version = Number(values.version)
  if (!name.success || !Number.isInteger(version) || version < 1) throw new UsageError('model activate needs --name NAME and --version N', modelRegistryUsage)
  const weight = values.weight === undefined ? undefined : Number(values.weight)
  if (weight !== undefined && !Number.isFinite(weight)) throw new UsageError('--weight must be a number', modelRegistryUsage)
  if (weight !== undefined && values.shadow) throw new UsageError('--weight adds to the score of an active model; a shadow model never acts', modelRegistryUsage)
  const client = await apiClient(values, modelRegistryUsage, supervisor(values, 'supervisor'))

  const rules = await client.send('GET', '/rules', undefined, { idempotent: true })
  if (rules.status !== 200) throw unexpected('GET', client, '/rules', rules)
  const { versions } = ruleSetsResponseSchema.parse(rules.body)
  // The active set as stored (durations as written): parsing would turn "7d" into milliseconds.
  const { active } = rules.body as { active: { version: number; ruleSet: RuleSetInput } | null }
  if (!active) {
    process.stderr.write('vigil model activate: no rule set is active yet; activate one first\n')
    return 1
  }
  const use: ModelUse = { name: name.data, version, mode: values.shadow ? 'shadow' : 'active', ...(weight === undefined ? {} : { weight }) }
  const next = Math.max(...versions.map((v) => v.version)) + 1
  const body: RuleSetInput = { ...active.ruleSet, version: next, models: [...(active.ruleSet.models ?? []).filter((m) => m.name !== use.name), use] }
  const stored = await client.send('PUT', '/rules', body)
  if (stored.status !== 201) throw unexpected('PUT', client, '/rules', stored)
  const requested = await client.send('POST', `/rules/${next}/activate`)
  if (requested.status !== 202 && requested.status !== 200) throw unexpected('POST', client, `/rules/${next}/activate`, requested)
  process.stdout.write(
    `rule set version ${next}: version ${active.version} with model ${use.name} v${use.version} ${use.mode}${weight === undefined ? '' : ` (weight ${weight})`}; ` +
      (requested.status === 200 ? 'active now\n' : `activation requested: a second supervisor approves it with vigil model approve --rule-set-version ${next}\n`),
  )
  return 0
}

async function approve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...registryOptions, 'rule-set-version': { type: 'string' } } })
  const version = Number(values['rule-set-version'])
  if (!Number.isInteger(version) || version < 1) throw new UsageError('model approve needs --rule-set-version N', modelRegistryUsage)
  const client: ApiClient = await apiClient(values, modelRegistryUsage, supervisor(values, 'second-supervisor'))
  const answer = await client.send('POST', `/rules/${version}/approve`)
  if (answer.status !== 200) throw unexpected('POST', client, `/rules/${version}/approve`, answer)
  process.stdout.write(`rule set version ${version} is active (it replaced version ${(answer.body as { previous: number | null }).previous ?? 'none'})\n`)
  return 0
}

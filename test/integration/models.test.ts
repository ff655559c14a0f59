/**
 * A model's life on real parts (dynalite, the real SDK, the case API handler and the scorer's
 * handler): uploaded through the API (chunked past DynamoDB's item limit), pinned by a rule-set
 * version in shadow, activated with four eyes, scored by the stream scorer exactly as the core
 * scores it, and explained in the decision the API serves.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { DynamoModelStore } from '../../functions/aws/model-store.ts'
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { handleApiRequest, type CaseApiDeps } from '../../functions/case-api/app.ts'
import { caseApiDependencies } from '../../functions/case-api/dependencies.ts'
import type { Claims } from '../../functions/case-api/identity.ts'
import { decisionResponseSchema, modelsResponseSchema, problemSchema } from '../../functions/case-api/schemas.ts'
import { MemoryScorer } from '../../functions/core/memory-scorer.ts'
import { compileModel, type CompiledModel, type ModelFile } from '../../functions/core/models/model-file.ts'
import { modelSummarySchema } from '../../functions/core/models/model-summary.ts'
import { compileRuleSet } from '../../functions/core/rules/compile.ts'
import type { RuleSetInput } from '../../functions/core/rules/rule-set.ts'
import { parseTransactionJson } from '../../functions/core/transaction.ts'
import { modelItems, tableSchemas } from '../../lib/table-schema.ts'
import { createTables, tableEnvironment } from '../../local/emulators.ts'
import { jwtEvent } from '../support/api-request.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'
import { fixedNow, scorerFixture, trafficLines } from '../support/scorer.ts'
import { syntheticTrees } from '../support/synthetic-model.ts'
import { testKey } from '../support/transactions.ts'

const aws = useEmulators()

const sam: Claims = { sub: 'sub-sam', username: 'sam', 'cognito:groups': ['supervisor'], token_use: 'access' }
const max: Claims = { sub: 'sub-max', username: 'max', 'cognito:groups': ['supervisor'], token_use: 'access' }
const ana: Claims = { sub: 'sub-ana', username: 'ana', 'cognito:groups': ['analyst'], token_use: 'access' }

async function call(deps: CaseApiDeps, method: string, path: string, claims: Claims, body?: unknown) {
  const response = await handleApiRequest(jwtEvent(method, path, claims, body), deps)
  const parsed = JSON.parse(response.body)
  if (response.statusCode >= 400) problemSchema.parse(parsed)
  return { status: response.statusCode, body: parsed }
}

const compiled = (file: ModelFile): CompiledModel => {
  const result = compileModel(file)
  if (!result.ok) throw new Error(JSON.stringify(result.error))
  return result.value
}

const features = ['card_count_1h', 'card_avg_amount_30d', 'merchant_fraud_rate_7d', 'txn_amount', 'txn_night']

describe('models on AWS parts', () => {
  it('stores a model too large for one item in chunks, answers a retried upload 200, refuses another file under the version (409) and a broken checksum (400)', async () => {
    const fx = await scorerFixture(aws)
    const deps = await apiDeps(fx.names)
    const file = syntheticTrees({ trees: 300, depth: 6, features })
    expect(JSON.stringify(file).length).toBeGreaterThan(400 * 1024)

    const created = await call(deps, 'PUT', '/models', sam, file)
    expect(created.status).toBe(201)
    expect(modelSummarySchema.parse(created.body)).toMatchObject({ name: 'fraud', version: 1, kind: 'trees', checksum: file.checksum, features, createdBy: 'sam' })
    expect((await call(deps, 'PUT', '/models', sam, file)).status).toBe(200)
    const other = syntheticTrees({ trees: 300, depth: 6, features, seed: 2 })
    const conflict = await call(deps, 'PUT', '/models', sam, other)
    expect(conflict.body).toMatchObject({ status: 409, type: 'urn:vigil:problem:version_exists' })
    expect((await call(deps, 'PUT', '/models', sam, { ...other, version: 2, checksum: file.checksum })).body).toMatchObject({ status: 400, type: 'urn:vigil:problem:invalid_model' })
    expect((await call(deps, 'PUT', '/models', ana, { ...other, version: 2 })).status).toBe(403)

    const listed = modelsResponseSchema.parse((await call(deps, 'GET', '/models', ana)).body)
    expect(listed.models.map((m) => [m.name, m.version, m.checksum])).toEqual([['fraud', 1, file.checksum]])
    const chunks = await aws.dynamo.send(
      new QueryCommand({
        TableName: fx.names.rules,
        KeyConditionExpression: '#pk = :p',
        ExpressionAttributeNames: { '#pk': tableSchemas.rules.partitionKey.name },
        ExpressionAttributeValues: { ':p': { S: modelItems.bodyPartition('fraud', 1, file.checksum) } },
      }),
    )
    expect(chunks.Count).toBeGreaterThan(1)
    // Read back through a fresh store (no cache): the model scores as the uploaded file does.
    const loaded = await new DynamoModelStore(aws.dynamo, fx.names.rules).load('fraud', 1)
    const row = [3, 12_000, 2, 5_000, 1]
    expect(loaded.score(row)).toEqual(compiled(file).score(row))
  })

  it('a rule set pins the model in shadow; once a second supervisor approves it, the scorer records the model score and its reasons in every decision, as the core does, and the API serves them', async () => {
    const fx = await scorerFixture(aws, { rulesRefreshSeconds: 0.001 })
    const deps = await apiDeps(fx.names)
    const file = syntheticTrees({ trees: 100, depth: 6, features })
    expect((await call(deps, 'PUT', '/models', sam, file)).status).toBe(201)

    const missing: RuleSetInput = { ...defaultRuleSet(), version: 3, models: [{ name: 'fraud', version: 9 }] }
    const refused = await call(deps, 'PUT', '/rules', sam, missing)
    expect(refused.body).toMatchObject({ status: 400, type: 'urn:vigil:problem:invalid_rule_set' })
    expect(refused.body.issues).toContainEqual(expect.objectContaining({ path: 'models[0]', message: expect.stringMatching(/model fraud version 9 is not available/) }))

    const base = defaultRuleSet()
    const withModel: RuleSetInput = {
      ...base,
      version: 2,
      models: [{ name: 'fraud', version: 1, mode: 'shadow' }],
      rules: [...base.rules, { id: 'model-watch', description: 'the model is sure', when: 'models.fraud > 0.2', score: 50, mode: 'shadow' }],
    }
    const put = await call(deps, 'PUT', '/rules', sam, withModel)
    expect(put.body).toMatchObject({ version: 2 })
    expect(put.status).toBe(201)
    expect((await call(deps, 'POST', '/rules/2/activate', sam)).status).toBe(202)
    expect((await call(deps, 'POST', '/rules/2/approve', max)).status).toBe(200)

    const lines = trafficLines(7, 60)
    await fx.put(lines)
    for (const batch of await fx.poller.drain(100)) expect((await fx.invoke(batch)).response.batchItemFailures).toEqual([])

    const ruleSet = compileRuleSet(withModel, { models: [compiled(file)] })
    if (!ruleSet.ok) throw new Error(JSON.stringify(ruleSet.error))
    const oracle = new MemoryScorer(ruleSet.value)
    const stored = await fx.decisions()
    let checked = 0
    for (const line of lines) {
      const parsed = parseTransactionJson(line, testKey)
      if (!parsed.ok || !stored.has(parsed.value.transactionId) || checked === stored.size) continue
      const expected = oracle.score(parsed.value, fixedNow.toISOString())
      const decision = stored.get(parsed.value.transactionId)!
      expect(decision.models).toEqual(expected.models)
      expect(decision.models![0]).toMatchObject({ name: 'fraud', version: 1, mode: 'shadow' })
      expect(decision.models![0]!.top.length).toBeGreaterThan(0)
      checked++
    }
    expect(checked).toBe(stored.size)

    const [someId] = stored.keys()
    const served = decisionResponseSchema.parse((await call(deps, 'GET', `/transactions/${someId}/decision`, ana)).body)
    expect(served.decision.models).toEqual(stored.get(someId!)!.models)
  })
})

async function apiDeps(names: Record<string, string>): Promise<CaseApiDeps> {
  const tables = { cases: uniqueName('cases'), labels: uniqueName('labels') }
  await createTables(aws.dynamo, tables)
  const env = { ...tableEnvironment({ ...names, ...tables }), [labelStreamEnvVar]: uniqueName('labels') }
  return caseApiDependencies(env, { dynamo: aws.dynamo, kinesis: aws.kinesis, workflow: { resume: async () => 'resumed' }, now: () => fixedNow.getTime() })
}

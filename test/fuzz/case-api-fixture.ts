import { DynamoCaseStore } from '../../functions/aws/case-store.ts'
import { DynamoDecisionStore } from '../../functions/aws/decision-store.ts'
import { publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import type { CaseApiDeps } from '../../functions/case-api/app.ts'
import { labelStreamEnvVar } from '../../functions/aws/service-names.ts'
import { caseApiDependencies } from '../../functions/case-api/dependencies.ts'
import { defaultSlaTable, openCase } from '../../functions/core/cases/index.ts'
import { labelSubject } from '../../functions/core/labels/apply-batch.ts'
import { createStream, createTables, tableEnvironment } from '../../local/emulators.ts'
import { uniqueName, type EmulatorContext } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'
import { scored } from '../support/workflow.ts'

export const fuzzNow = Date.parse('2026-11-24T10:00:00.000Z')

/**
 * The case API's real adapters on fresh tables holding something to find: two open cases with
 * their decisions, and an active rule set. Failures the handler reports land in `errors`.
 */
export async function caseApiFixture(aws: EmulatorContext) {
  const names = { cases: uniqueName('cases'), decisions: uniqueName('decisions'), rules: uniqueName('rules'), labels: uniqueName('labels') }
  const labelStream = uniqueName('labels')
  await createTables(aws.dynamo, names)
  await createStream(aws.kinesis, labelStream, 1)
  await publishRuleSet(aws.dynamo, names.rules, defaultRuleSet(), new Date(fuzzNow))
  const store = new DynamoCaseStore(aws.dynamo, names.cases)
  const decisions = new DynamoDecisionStore(aws.dynamo, names.decisions, { ttlDays: 400 })
  const caseIds: string[] = []
  const transactionIds: string[] = []
  for (const outcome of ['review', 'block'] as const) {
    const { decision, transaction } = scored(outcome, { transactionId: `tx-fuzz-${outcome}` })
    const opened = openCase({ caseId: `case-fuzz-${outcome}`, decision: { ...decision, outcome }, transaction }, fuzzNow, defaultSlaTable)
    if (!opened.ok) throw new Error(opened.error.message)
    await store.create(opened.value)
    await decisions.write(decision, { shardId: 'shardId-000000000000', sequenceNumber: '1', subSequenceNumber: 0 }, labelSubject(transaction))
    caseIds.push(opened.value.caseId)
    transactionIds.push(decision.transactionId)
  }
  const errors: unknown[] = []
  const deps: CaseApiDeps = {
    ...caseApiDependencies({ ...tableEnvironment(names), [labelStreamEnvVar]: labelStream }, { dynamo: aws.dynamo, kinesis: aws.kinesis, workflow: { resume: async () => 'resumed' }, now: () => fuzzNow }),
    onError: (error) => errors.push(error),
  }
  return { deps, errors, caseIds, transactionIds }
}

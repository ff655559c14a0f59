import { describe, expect, it } from 'vitest'
import { DynamoRuleSetSource, publishRuleSet, RuleSetUnavailableError } from '../../functions/aws/rule-set-store.ts'
import { createTables } from '../../local/emulators.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'

const aws = useEmulators()

describe('DynamoRuleSetSource', () => {
  it('refuses to score without an active rule set', async () => {
    const table = uniqueName('rules')
    await createTables(aws.dynamo, { rules: table })
    await expect(new DynamoRuleSetSource(aws.dynamo, table, { refreshMs: 0 }).current()).rejects.toBeInstanceOf(RuleSetUnavailableError)
  })

  it('keeps scoring with the previous version when the activated one does not compile, and says so', async () => {
    const table = uniqueName('rules')
    await createTables(aws.dynamo, { rules: table })
    await publishRuleSet(aws.dynamo, table, defaultRuleSet(), new Date())
    const rejected: number[] = []
    let now = 0
    const source = new DynamoRuleSetSource(aws.dynamo, table, { refreshMs: 1_000, clock: () => now, onRejected: (version) => rejected.push(version) })
    expect((await source.current()).version).toBe(1)

    // Stored behind the API's back (the API compiles before storing): a rule that cannot compile.
    await publishRuleSet(aws.dynamo, table, { ...defaultRuleSet(), version: 2, rules: [{ id: 'broken', description: 'd', score: 1, when: 'txn.amount >' }] }, new Date())
    expect((await source.current()).version).toBe(1) // cached: no read before the refresh interval
    now += 1_000
    expect((await source.current()).version).toBe(1)
    expect(rejected).toEqual([2])
  })
})

import { describe, expect, it } from 'vitest'
import type { RuleSetIssue } from '../../functions/core/rules/compile.ts'
import { DynamoRuleSetSource, publishRuleSet } from '../../functions/aws/rule-set-store.ts'
import { createTables } from '../../local/emulators.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'

const aws = useEmulators()

describe('the scorer compiling a stored rule set', () => {
  it('never runs one with unbounded work, even stored behind the API: it keeps the version it has and reports the rules', async () => {
    const table = uniqueName('rules')
    await createTables(aws.dynamo, { rules: table })
    await publishRuleSet(aws.dynamo, table, defaultRuleSet(), new Date())
    const rejected: Array<[number, RuleSetIssue[]]> = []
    let now = 0
    const source = new DynamoRuleSetSource(aws.dynamo, table, { refreshMs: 1_000, clock: () => now, onRejected: (version, issues) => rejected.push([version, issues as RuleSetIssue[]]) })
    expect((await source.current()).version).toBe(1)

    const ids = Array.from({ length: 300 }, (_, i) => `m-${i}`)
    const unbounded = {
      ...defaultRuleSet(),
      version: 2,
      lists: { ...defaultRuleSet().lists, ids },
      rules: [
        ...defaultRuleSet().rules,
        { id: 'triple-exists', description: 'd', score: 1, when: 'lists.ids.exists(a, lists.ids.exists(b, lists.ids.exists(c, a + b + c == txn.merchant.id)))' },
        { id: 'backreference', description: 'd', score: 1, mode: 'shadow' as const, when: "has(txn.device.id) && txn.device.id.matches('^(a+)+\\\\1$')" },
      ],
    }
    await publishRuleSet(aws.dynamo, table, unbounded, new Date())
    now += 1_000
    expect((await source.current()).version).toBe(1)
    expect(rejected.map(([version, issues]) => [version, [...new Set(issues.map((i) => i.ruleId))]])).toEqual([[2, ['triple-exists', 'backreference']]])
  })
})

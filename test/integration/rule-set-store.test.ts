import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDynamoDbClient } from '../../functions/aws/clients.ts'
import { DynamoRuleSetSource, listValue, publishRuleSet, RuleSetUnavailableError, unlistValue } from '../../functions/aws/rule-set-store.ts'
import { createTables } from '../../local/emulators.ts'
import { startFaultProxy, type FaultProxy } from '../faults/fault-proxy.ts'
import { uniqueName, useEmulators } from '../support/emulators.ts'
import { defaultRuleSet } from '../support/scenario.ts'

const aws = useEmulators()

/** The rules table behind a fault proxy: the source reads through it, the test writes directly. */
let proxy: FaultProxy
let viaProxy: DynamoDBClient
beforeAll(async () => {
  proxy = await startFaultProxy({ target: aws.endpoints.dynamo, service: 'dynamodb', seed: 1 })
  viaProxy = createDynamoDbClient({ ...aws.clientConfig('dynamo'), endpoint: proxy.url, maxAttempts: 2 })
})
afterAll(async () => {
  viaProxy?.destroy()
  await proxy?.stop()
})

async function rulesTable(): Promise<string> {
  const table = uniqueName('rules')
  await createTables(aws.dynamo, { rules: table })
  await publishRuleSet(aws.dynamo, table, defaultRuleSet(), new Date())
  return table
}

const blocked = 'blocked_cards'
const list = (table: string, token: string, expiresAt?: number) => listValue(aws.dynamo, table, blocked, token, expiresAt === undefined ? undefined : new Date(expiresAt))
const queries = () => proxy.forwarded.get('Query') ?? 0

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

  it('keeps scoring with the cached rule set while the rules table cannot be read, for at most maxStaleMs, and says so', async () => {
    const table = await rulesTable()
    let now = 0
    const stale: number[] = []
    const source = new DynamoRuleSetSource(viaProxy, table, { refreshMs: 1_000, maxStaleMs: 10_000, clock: () => now, onStale: (_, ms) => stale.push(ms) })
    expect((await source.current()).version).toBe(1)
    proxy.setPlan({ rates: { serverError: 1 } })
    try {
      now = 1_000
      expect((await source.current()).version).toBe(1)
      now = 1_500 // the failed refresh counts as a check: no read before the next interval
      expect((await source.current()).version).toBe(1)
      now = 10_000
      expect((await source.current()).version).toBe(1)
      expect(stale).toEqual([1_000, 10_000])
      now = 10_001 // within the refresh interval, but past the bound: read, and fail
      await expect(source.current()).rejects.toThrow()
    } finally {
      proxy.setPlan({ rates: {} })
    }
    // Read again: the bound counts from the last successful read.
    now = 12_000
    expect((await source.current()).version).toBe(1)
  })

  it('fails when the rules table cannot be read and no rule set was ever read', async () => {
    const table = await rulesTable()
    proxy.setPlan({ rates: { serverError: 1 } })
    try {
      await expect(new DynamoRuleSetSource(viaProxy, table, { refreshMs: 0 }).current()).rejects.toThrow()
    } finally {
      proxy.setPlan({ rates: {} })
    }
  })

  it('queries a list again only when its change counter moved, and then drops what was unlisted', async () => {
    const table = await rulesTable()
    await list(table, 'tok-a')
    await list(table, 'tok-b')
    let now = 0
    const source = new DynamoRuleSetSource(viaProxy, table, { refreshMs: 1_000, clock: () => now })
    expect([...(await source.current()).lists[blocked]!]).toEqual(expect.arrayContaining(['tok-a', 'tok-b']))
    const before = queries()
    for (let i = 1; i <= 3; i++) {
      now = i * 1_000
      expect((await source.current()).lists[blocked]?.has('tok-a')).toBe(true)
    }
    expect(queries()).toBe(before)

    await unlistValue(aws.dynamo, table, blocked, 'tok-a')
    now = 4_000
    const lists = (await source.current()).lists
    expect(lists[blocked]?.has('tok-a')).toBe(false)
    expect(lists[blocked]?.has('tok-b')).toBe(true)
    expect(queries()).toBe(before + 1)
  })

  it('stops applying a listing once it expires, without querying the list again', async () => {
    const table = await rulesTable()
    let now = Date.parse('2026-12-01T00:00:00Z')
    await list(table, 'tok-short', now + 60_000)
    await list(table, 'tok-long', now + 86_400_000)
    const source = new DynamoRuleSetSource(viaProxy, table, { refreshMs: 1_000, clock: () => now })
    expect((await source.current()).lists[blocked]?.has('tok-short')).toBe(true)
    const before = queries()
    now += 60_000
    const lists = (await source.current()).lists
    expect(lists[blocked]?.has('tok-short')).toBe(false)
    expect(lists[blocked]?.has('tok-long')).toBe(true)
    expect(queries()).toBe(before)
  })
})

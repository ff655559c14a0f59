import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ruleSetItems, tableSchemas } from '../../lib/table-schema.ts'
import { compileRuleSet, type CompiledRuleSet } from '../core/rules/compile.ts'
import type { RuleSetInput } from '../core/rules/rule-set.ts'
import type { RuleSetSource } from '../score/ports.ts'

const pk = tableSchemas.rules.partitionKey.name
const sk = tableSchemas.rules.sortKey.name

export class RuleSetUnavailableError extends Error {
  readonly code = 'rule_set_unavailable'
}

/**
 * The active rule set, compiled once per version and cached. Every `refreshMs` one small read of
 * the active pointer tells whether an operator activated another version; only then is the
 * version's body read and compiled. A version that fails to compile never replaces a working one.
 */
export class DynamoRuleSetSource implements RuleSetSource {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly refreshMs: number
  private readonly clock: () => number
  private cached: { ruleSet: CompiledRuleSet; checkedAt: number } | undefined
  private refreshing: Promise<CompiledRuleSet> | undefined

  constructor(client: DynamoDBClient, table: string, options: { refreshMs: number; clock?: () => number }) {
    this.client = client
    this.table = table
    this.refreshMs = options.refreshMs
    this.clock = options.clock ?? Date.now
  }

  current(): Promise<CompiledRuleSet> {
    if (this.cached && this.clock() - this.cached.checkedAt < this.refreshMs) return Promise.resolve(this.cached.ruleSet)
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private async refresh(): Promise<CompiledRuleSet> {
    const checkedAt = this.clock()
    const pointer = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.activeSortKey } } }))
    const version = Number(pointer.Item?.version?.N)
    if (!Number.isInteger(version)) {
      if (this.cached) return this.cached.ruleSet
      throw new RuleSetUnavailableError(`no active rule set in ${this.table}`)
    }
    if (this.cached?.ruleSet.version === version) {
      this.cached.checkedAt = checkedAt
      return this.cached.ruleSet
    }
    const stored = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.versionSortKey(version) } }, ConsistentRead: true }),
    )
    const compiled = compileRuleSet(JSON.parse(stored.Item?.body?.S ?? 'null'))
    if (!compiled.ok) {
      if (this.cached) return this.cached.ruleSet
      throw new RuleSetUnavailableError(`active rule set version ${version} does not compile: ${JSON.stringify(compiled.error.issues)}`)
    }
    this.cached = { ruleSet: compiled.value, checkedAt }
    return compiled.value
  }
}

/** Stores a rule-set version and makes it the active one (what an upload and an activation do). */
export async function publishRuleSet(client: DynamoDBClient, table: string, ruleSet: RuleSetInput, now: Date): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        [pk]: { S: ruleSetItems.partition },
        [sk]: { S: ruleSetItems.versionSortKey(ruleSet.version) },
        body: { S: JSON.stringify(ruleSet) },
        createdAt: { S: now.toISOString() },
      },
    }),
  )
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.activeSortKey }, version: { N: String(ruleSet.version) } },
    }),
  )
}

import { GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandOutput } from '@aws-sdk/client-dynamodb'
import { listItems, ruleSetItems, tableSchemas } from '../../lib/table-schema.ts'
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
 * The run-time list items (a card listed by a fraud case) of the lists the rules read are queried
 * on each refresh too and merged into the version's static lists.
 */
export class DynamoRuleSetSource implements RuleSetSource {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly refreshMs: number
  private readonly clock: () => number
  private readonly onRejected: ((version: number, issues: unknown) => void) | undefined
  private cached: { compiled: CompiledRuleSet; ruleSet: CompiledRuleSet; checkedAt: number } | undefined
  private refreshing: Promise<CompiledRuleSet> | undefined

  constructor(
    client: DynamoDBClient,
    table: string,
    options: { refreshMs: number; clock?: () => number; onRejected?: (version: number, issues: unknown) => void },
  ) {
    this.client = client
    this.table = table
    this.refreshMs = options.refreshMs
    this.clock = options.clock ?? Date.now
    this.onRejected = options.onRejected
  }

  current(): Promise<CompiledRuleSet> {
    if (this.cached && this.clock() - this.cached.checkedAt < this.refreshMs) return Promise.resolve(this.cached.ruleSet)
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private async refresh(): Promise<CompiledRuleSet> {
    const checkedAt = this.clock()
    const compiled = await this.activeVersion()
    const ruleSet = await this.withListItems(compiled)
    this.cached = { compiled, ruleSet, checkedAt }
    return ruleSet
  }

  private async activeVersion(): Promise<CompiledRuleSet> {
    const pointer = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.activeSortKey } } }))
    const version = Number(pointer.Item?.version?.N)
    if (!Number.isInteger(version)) {
      if (this.cached) return this.cached.compiled
      throw new RuleSetUnavailableError(`no active rule set in ${this.table}`)
    }
    if (this.cached?.compiled.version === version) return this.cached.compiled
    const stored = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.versionSortKey(version) } }, ConsistentRead: true }),
    )
    const compiled = compileRuleSet(JSON.parse(stored.Item?.body?.S ?? 'null'))
    if (compiled.ok) return compiled.value
    this.onRejected?.(version, compiled.error.issues)
    if (this.cached) return this.cached.compiled
    throw new RuleSetUnavailableError(`active rule set version ${version} does not compile: ${JSON.stringify(compiled.error.issues)}`)
  }

  private async withListItems(compiled: CompiledRuleSet): Promise<CompiledRuleSet> {
    const read = [...new Set(compiled.rules.flatMap((rule) => rule.reads.lists))]
    const items = await Promise.all(read.map((list) => this.listValues(list)))
    if (items.every((values) => values.length === 0)) return compiled
    const lists = { ...compiled.lists }
    read.forEach((list, i) => {
      if (items[i]!.length > 0) lists[list] = new Set([...(compiled.lists[list] ?? []), ...items[i]!])
    })
    return { ...compiled, lists }
  }

  private async listValues(list: string): Promise<string[]> {
    const values: string[] = []
    let start: Record<string, AttributeValue> | undefined
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :list',
          ExpressionAttributeNames: { '#pk': pk },
          ExpressionAttributeValues: { ':list': { S: listItems.partition(list) } },
          ExclusiveStartKey: start,
        }),
      )
      for (const item of page.Items ?? []) values.push(item[sk]!.S!)
      start = page.LastEvaluatedKey
    } while (start)
    return values
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

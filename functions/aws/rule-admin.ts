/**
 * Rule-set administration for the case API: stored versions, the active pointer (activate or roll
 * back) and per-rule counts of hits and labels (layout: lib/table-schema.ts).
 */
import { GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandOutput } from '@aws-sdk/client-dynamodb'
import { ruleSetItems, ruleStatsItems, tableSchemas } from '../../lib/table-schema.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'

const rulesPk = tableSchemas.rules.partitionKey.name
const rulesSk = tableSchemas.rules.sortKey.name
const versionPrefix = ruleSetItems.versionSortKey(0).replace(/\d+$/, '')

export interface StoredRuleSetVersion {
  version: number
  createdAt?: string
  createdBy?: string
}

export interface RuleCounts {
  ruleId: string
  /** Decisions the rule fired in, as the scorer counts them (functions/aws/rule-stats-store.ts). */
  hits: number
  fraud: number
  legitimate: number
}

export class DynamoRuleAdmin {
  private readonly client: DynamoDBClient
  private readonly table: string

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  async activeVersion(): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: this.key(ruleSetItems.partition, ruleSetItems.activeSortKey), ConsistentRead: true }),
    )
    const version = Number(Item?.version?.N)
    return Number.isInteger(version) ? version : undefined
  }

  /** Every stored version, oldest first (the sort keys are zero-padded). */
  async versions(): Promise<StoredRuleSetVersion[]> {
    const out: StoredRuleSetVersion[] = []
    for await (const item of this.query(ruleSetItems.partition, versionPrefix, [rulesSk, 'createdAt', 'createdBy'])) {
      const version = Number(item[rulesSk]!.S!.slice(versionPrefix.length))
      const stored: StoredRuleSetVersion = { version }
      if (item.createdAt?.S) stored.createdAt = item.createdAt.S
      if (item.createdBy?.S) stored.createdBy = item.createdBy.S
      out.push(stored)
    }
    return out
  }

  /** The stored JSON of a version, parsed but not validated; undefined if there is no such version. */
  async body(version: number): Promise<unknown> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: this.key(ruleSetItems.partition, ruleSetItems.versionSortKey(version)), ConsistentRead: true }),
    )
    return Item?.body?.S === undefined ? undefined : JSON.parse(Item.body.S)
  }

  /** Stores a version without activating it; a version number is written once. */
  async create(version: number, body: unknown, meta: { createdAt: string; createdBy: string }): Promise<'created' | 'exists'> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...this.key(ruleSetItems.partition, ruleSetItems.versionSortKey(version)),
            body: { S: JSON.stringify(body) },
            createdAt: { S: meta.createdAt },
            createdBy: { S: meta.createdBy },
          },
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': rulesSk },
        }),
      )
      return 'created'
    } catch (error) {
      if (isConditionalCheckFailure(error)) return 'exists'
      throw error
    }
  }

  /** Points the scorers at `version` (activation and rollback alike); returns the version it replaced. */
  async activate(version: number, meta: { activatedAt: string; activatedBy: string }): Promise<number | undefined> {
    const { Attributes } = await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...this.key(ruleSetItems.partition, ruleSetItems.activeSortKey),
          version: { N: String(version) },
          activatedAt: { S: meta.activatedAt },
          activatedBy: { S: meta.activatedBy },
        },
        ReturnValues: 'ALL_OLD',
      }),
    )
    const previous = Number(Attributes?.version?.N)
    return Number.isInteger(previous) ? previous : undefined
  }

  /** Per rule of a version: the scorer's hits and the analysts' verdicts (one item per rule, counted with ADD). */
  async ruleCounts(version: number): Promise<RuleCounts[]> {
    const out: RuleCounts[] = []
    const count = (value: AttributeValue | undefined) => Number(value?.N ?? 0)
    for await (const item of this.query(ruleStatsItems.partition(version))) {
      out.push({ ruleId: item[rulesSk]!.S!, hits: count(item.hits), fraud: count(item.fraud), legitimate: count(item.legitimate) })
    }
    return out
  }

  private key(pk: string, sk: string): Record<string, AttributeValue> {
    return { [rulesPk]: { S: pk }, [rulesSk]: { S: sk } }
  }

  private async *query(partition: string, prefix?: string, projection?: readonly string[]): AsyncGenerator<Record<string, AttributeValue>> {
    const names: Record<string, string> = { '#pk': rulesPk }
    if (prefix !== undefined) names['#sk'] = rulesSk
    projection?.forEach((name, i) => (names[`#p${i}`] = name))
    let start: Record<string, AttributeValue> | undefined
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':pk': { S: partition }, ...(prefix === undefined ? {} : { ':prefix': { S: prefix } }) },
          ...(projection === undefined ? {} : { ProjectionExpression: projection.map((_, i) => `#p${i}`).join(', ') }),
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      )
      yield* page.Items ?? []
      start = page.LastEvaluatedKey
    } while (start)
  }
}

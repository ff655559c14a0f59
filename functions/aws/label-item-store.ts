import { PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import * as z from 'zod'
import { tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import type { LabelItem } from '../core/labels/apply-batch.ts'
import { labelSchema } from '../core/labels/label.ts'
import { batchGet } from './batch-get.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'

const key = tableSchemas.labels.partitionKey.name
const pendingIndex = tableSchemas.labels.indexes[0]

const appliedSchema = z.array(z.object({ at: z.string(), outcome: z.enum(['accepted', 'duplicate', 'superseded', 'pending']), delta: z.union([z.literal(-1), z.literal(0), z.literal(1)]) }))

/**
 * One item per labeled transaction (lib/table-schema.ts, `labels`), written by the label applier
 * only, each write conditional on the version it read. Kept as long as decisions are: a label is
 * what the transaction's decision is measured against.
 */
export class DynamoLabelItemStore {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly ttlSeconds: number

  constructor(client: DynamoDBClient, table: string, options: { ttlDays: number }) {
    this.client = client
    this.table = table
    this.ttlSeconds = options.ttlDays * 86_400
  }

  read(transactionIds: readonly string[]): Promise<Map<string, LabelItem>> {
    return readLabelItems(this.client, this.table, transactionIds)
  }

  /**
   * Items holding labels that wait for their transaction, oldest report first, at most `limit`
   * (the sparse `pending` index). The index is eventually consistent: a write conditional on the
   * version read here fails if the item moved on, and the next sweep sees it as it is.
   */
  async waiting(limit: number): Promise<Array<{ transactionId: string; item: LabelItem }>> {
    const out: Array<{ transactionId: string; item: LabelItem }> = []
    let start: Record<string, AttributeValue> | undefined
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: pendingIndex.name,
          KeyConditionExpression: '#pending = :pending',
          ExpressionAttributeNames: { '#pending': pendingIndex.partitionKey.name },
          ExpressionAttributeValues: { ':pending': { S: 'pending' } },
          Limit: Math.min(100, limit - out.length),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      )
      for (const item of page.Items ?? []) out.push({ transactionId: item[key]!.S!, item: fromItem(item) })
      start = page.LastEvaluatedKey
    } while (start && out.length < limit)
    return out
  }

  /** Writes if the stored version is still `expectedVersion` (0: no item yet); `now` (ISO) starts its retention. */
  async write(transactionId: string, item: LabelItem, expectedVersion: number, now: string): Promise<'written' | 'conflict'> {
    const stored: Record<string, AttributeValue> = {
      [key]: { S: transactionId },
      applied: { S: JSON.stringify(item.applied) },
      waiting: { S: JSON.stringify(item.waiting) },
      unmatched: { S: JSON.stringify(item.unmatched) },
      version: { N: String(item.version) },
      [ttlAttribute]: { N: String(Math.floor(Date.parse(now) / 1000) + this.ttlSeconds) },
    }
    if (item.standing) stored.standing = { S: JSON.stringify(item.standing) }
    // Only a waiting label puts the item in the sparse index the sweep reads, oldest report first.
    if (item.waiting.length > 0) {
      stored[pendingIndex.partitionKey.name] = { S: 'pending' }
      stored[pendingIndex.sortKey.name] = { S: new Date(item.waiting[0]!.reportedAt).toISOString() }
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: stored,
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': key } }
            : { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } }),
        }),
      )
      return 'written'
    } catch (error) {
      if (isConditionalCheckFailure(error)) return 'conflict'
      throw error
    }
  }
}

/** The label items of these transactions (BatchGetItem): what the applier and POST /labels resolve labels against. */
export async function readLabelItems(client: DynamoDBClient, table: string, transactionIds: readonly string[]): Promise<Map<string, LabelItem>> {
  const items = await batchGet(client, table, key, transactionIds)
  return new Map([...items].map(([id, item]) => [id, fromItem(item)]))
}

function fromItem(item: Record<string, AttributeValue>): LabelItem {
  return {
    standing: item.standing?.S === undefined ? undefined : labelSchema.parse(JSON.parse(item.standing.S)),
    applied: appliedSchema.parse(JSON.parse(item.applied?.S ?? '[]')),
    waiting: z.array(labelSchema).parse(JSON.parse(item.waiting?.S ?? '[]')),
    unmatched: z.array(labelSchema).parse(JSON.parse(item.unmatched?.S ?? '[]')),
    version: Number(item.version?.N ?? 0),
  }
}

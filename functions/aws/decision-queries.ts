/** Stored decisions, as the case API serves them. */
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import type { Decision } from '../core/decision.ts'
import { batchGet } from './batch-get.ts'
import { fromItem } from './decision-store.ts'

const key = tableSchemas.decisions.partitionKey.name

/** dynalite never expires items (local/emulators.ts), and DynamoDB deletes them late: an expired one counts as gone. */
const expired = (item: Record<string, AttributeValue>, now: number) => {
  const expiresAt = Number(item[ttlAttribute]?.N)
  return Number.isFinite(expiresAt) && expiresAt * 1000 <= now
}

export class DynamoDecisionQueries {
  private readonly client: DynamoDBClient
  private readonly table: string

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  /** The decision of a transaction; an expired item counts as gone. */
  async get(transactionId: string, now: number): Promise<Decision | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [key]: { S: transactionId } }, ConsistentRead: true }))
    if (!Item || expired(Item, now)) return undefined
    return fromItem(Item).decision
  }

  /** Which of these transactions have a decision (BatchGetItem): a label of any other waits for its transaction. */
  async decided(transactionIds: readonly string[], now: number): Promise<Set<string>> {
    const items = await batchGet(this.client, this.table, key, transactionIds)
    return new Set([...items].filter(([, item]) => !expired(item, now)).map(([id]) => id))
  }
}

/** A stored decision with the analysts' label, as the case API serves it. */
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

export interface DecisionLabel {
  verdict: 'fraud' | 'legitimate'
  labeledAt?: string
  caseId?: string
}

export class DynamoDecisionQueries {
  private readonly client: DynamoDBClient
  private readonly table: string

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  /** The decision of a transaction, with the analysts' label if it has one; an expired item counts as gone. */
  async get(transactionId: string, now: number): Promise<{ decision: Decision; label?: DecisionLabel } | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [key]: { S: transactionId } }, ConsistentRead: true }))
    if (!Item || expired(Item, now)) return undefined
    const { decision } = fromItem(Item)
    const verdict = Item.label?.S
    if (verdict !== 'fraud' && verdict !== 'legitimate') return { decision }
    const label: DecisionLabel = { verdict }
    if (Item.labeledAt?.S) label.labeledAt = Item.labeledAt.S
    if (Item.caseId?.S) label.caseId = Item.caseId.S
    return { decision, label }
  }

  /** Which of these transactions have a decision (BatchGetItem): a label of any other waits for its transaction. */
  async decided(transactionIds: readonly string[], now: number): Promise<Set<string>> {
    const items = await batchGet(this.client, this.table, key, transactionIds)
    return new Set([...items].filter(([, item]) => !expired(item, now)).map(([id]) => id))
  }
}

/** A stored decision with the analysts' label, as the case API serves it. */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import type { Decision } from '../core/decision.ts'
import { fromItem } from './decision-store.ts'

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
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [tableSchemas.decisions.partitionKey.name]: { S: transactionId } }, ConsistentRead: true }),
    )
    if (!Item) return undefined
    const expiresAt = Number(Item[ttlAttribute]?.N)
    if (Number.isFinite(expiresAt) && expiresAt * 1000 <= now) return undefined
    const { decision } = fromItem(Item)
    const verdict = Item.label?.S
    if (verdict !== 'fraud' && verdict !== 'legitimate') return { decision }
    const label: DecisionLabel = { verdict }
    if (Item.labeledAt?.S) label.labeledAt = Item.labeledAt.S
    if (Item.caseId?.S) label.caseId = Item.caseId.S
    return { decision, label }
  }
}

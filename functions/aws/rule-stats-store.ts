import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ruleStatsItems, tableSchemas } from '../../lib/table-schema.ts'

/**
 * Per rule-set version and rule, how often it fired (one atomic ADD per rule per batch, from the
 * scorer) and what the labels of its hits say (from the label applier: `fraud`, `legitimate`, and
 * the same by source, `fraud_chargeback`, …), so `GET /rules/stats` reads hits and labels in one place.
 */
export class DynamoRuleStatsStore {
  private readonly client: DynamoDBClient
  private readonly table: string

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  async addHits(version: number, hits: ReadonlyMap<string, number>): Promise<void> {
    await Promise.all(
      [...hits].map(([ruleId, count]) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { [tableSchemas.rules.partitionKey.name]: { S: ruleStatsItems.partition(version) }, [tableSchemas.rules.sortKey.name]: { S: ruleId } },
            UpdateExpression: 'ADD hits :n',
            ExpressionAttributeValues: { ':n': { N: String(count) } },
          }),
        ),
      ),
    )
  }

  /** Adds `change` (attribute → amount, e.g. `{fraud: 1, fraud_chargeback: 1}`) to each rule's counts. */
  async addLabel(version: number, ruleIds: readonly string[], change: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(change).filter(([, amount]) => amount !== 0)
    if (entries.length === 0) return
    await Promise.all(
      ruleIds.map((ruleId) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { [tableSchemas.rules.partitionKey.name]: { S: ruleStatsItems.partition(version) }, [tableSchemas.rules.sortKey.name]: { S: ruleId } },
            UpdateExpression: `ADD ${entries.map((_, i) => `#a${i} :v${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#a${i}`, name])),
            ExpressionAttributeValues: Object.fromEntries(entries.map(([, amount], i) => [`:v${i}`, { N: String(amount) }])),
          }),
        ),
      ),
    )
  }
}

import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ruleStatsItems, tableSchemas } from '../../lib/table-schema.ts'

/**
 * How often each rule fired, per rule-set version: one atomic ADD per rule per batch, on the item
 * the analysts' verdicts count into too (functions/aws/label-store.ts), so `GET /rules/stats`
 * reads hits and labels in one place.
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
}

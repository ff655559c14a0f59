import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ruleStatsItems, tableSchemas } from '../../lib/table-schema.ts'
import { labelOf, type Case } from '../core/cases/index.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'

/**
 * A verdict becomes a label twice over: on the decision it judges (once: the write is conditional
 * on no label yet), and in the counts of every rule that fired on it, per rule-set version, which
 * is what measures a rule's precision.
 */
export class DynamoLabelStore {
  private readonly client: DynamoDBClient
  private readonly decisionsTable: string
  private readonly rulesTable: string

  constructor(client: DynamoDBClient, tables: { decisions: string; rules: string }) {
    this.client = client
    this.decisionsTable = tables.decisions
    this.rulesTable = tables.rules
  }

  async record(c: Case): Promise<void> {
    const label = labelOf(c)
    if (!label) return
    const verdict = label.fraud ? 'fraud' : 'legitimate'
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.decisionsTable,
          Key: { [tableSchemas.decisions.partitionKey.name]: { S: label.transactionId } },
          UpdateExpression: 'SET label = :label, labeledAt = :at, caseId = :case',
          ConditionExpression: 'attribute_exists(#id) AND attribute_not_exists(label)',
          ExpressionAttributeNames: { '#id': tableSchemas.decisions.partitionKey.name },
          ExpressionAttributeValues: { ':label': { S: verdict }, ':at': { S: c.closedAt ?? c.slaDueAt }, ':case': { S: c.caseId } },
        }),
      )
    } catch (error) {
      // Labeled already (a retried task): the counts were taken then.
      if (isConditionalCheckFailure(error)) return
      throw error
    }
    const fired = c.decision.rules.filter((r) => r.status === 'fired').map((r) => r.id)
    await Promise.all(
      fired.map((ruleId) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.rulesTable,
            Key: { [tableSchemas.rules.partitionKey.name]: { S: ruleStatsItems.partition(c.decision.ruleSetVersion) }, [tableSchemas.rules.sortKey.name]: { S: ruleId } },
            UpdateExpression: 'ADD #verdict :one',
            ExpressionAttributeNames: { '#verdict': verdict },
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        ),
      ),
    )
  }
}

import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import { decisionSchema, type Decision } from '../core/decision.ts'
import type { LabelSubject } from '../core/labels/apply-batch.ts'
import type { StoredDecision } from '../core/stream/batch.ts'
import { formatPosition, parsePosition, type Position } from '../core/stream/position.ts'
import type { DecisionStore } from '../score/ports.ts'
import { batchGet } from './batch-get.ts'
import type { CapacityMeter } from './capacity-meter.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'

const key = tableSchemas.decisions.partitionKey.name

/**
 * Decisions keyed by transaction id. The put is conditional on the id being absent, which makes
 * "decides once" hold under any redelivery; `source` records which stream record decided it.
 */
export class DynamoDecisionStore implements DecisionStore {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly ttlSeconds: number
  private readonly meter: CapacityMeter | undefined

  constructor(client: DynamoDBClient, table: string, options: { ttlDays: number; meter?: CapacityMeter }) {
    this.client = client
    this.table = table
    this.ttlSeconds = options.ttlDays * 86_400
    this.meter = options.meter
  }

  async read(transactionIds: readonly string[]): Promise<Map<string, StoredDecision>> {
    const items = await batchGet(this.client, this.table, key, transactionIds, this.meter)
    return new Map([...items].map(([id, item]) => [id, fromItem(item)]))
  }

  async write(decision: Decision, source: Position, subject: LabelSubject): Promise<'written' | StoredDecision> {
    const item = this.toItem(decision, source, subject)
    try {
      const response = await this.client.send(
        new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': key }, ReturnConsumedCapacity: 'TOTAL' }),
      )
      this.meter?.write(response.ConsumedCapacity, item, 'decision')
      return 'written'
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error
      this.meter?.write(undefined, item, 'decision')
      const existing = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [key]: { S: decision.transactionId } }, ConsistentRead: true }))
      if (!existing.Item) throw error
      return fromItem(existing.Item)
    }
  }

  private toItem(decision: Decision, source: Position, subject: LabelSubject): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = {
      eventTime: { N: String(subject.time) },
      entities: { S: JSON.stringify(subject.entities) },
      [key]: { S: decision.transactionId },
      outcome: { S: decision.outcome },
      score: { N: String(decision.score) },
      ruleSetVersion: { N: String(decision.ruleSetVersion) },
      rules: { S: JSON.stringify(decision.rules) },
      decidedAt: { S: decision.decidedAt },
      source: { S: `${source.shardId}/${formatPosition(source)}` },
      [ttlAttribute]: { N: String(Math.floor(Date.parse(decision.decidedAt) / 1000) + this.ttlSeconds) },
    }
    // The models' scores and top contributions: what an investigator or auditor asks of the decision.
    if (decision.models) item.models = { S: JSON.stringify(decision.models) }
    return item
  }
}

export function fromItem(item: Record<string, AttributeValue>): StoredDecision {
  const decision = decisionSchema.parse({
    transactionId: item[key]?.S,
    outcome: item.outcome?.S,
    score: Number(item.score?.N),
    ruleSetVersion: Number(item.ruleSetVersion?.N),
    rules: JSON.parse(item.rules?.S ?? '[]'),
    ...(item.models?.S === undefined ? {} : { models: JSON.parse(item.models.S) }),
    decidedAt: item.decidedAt?.S,
  })
  const [shardId = '', position = ''] = (item.source?.S ?? '').split('/')
  const stored: StoredDecision = { decision, source: { shardId, ...parsePosition(position) } }
  if (item.eventTime?.N !== undefined && item.entities?.S !== undefined) stored.subject = { time: Number(item.eventTime.N), entities: JSON.parse(item.entities.S) }
  return stored
}

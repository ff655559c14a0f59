import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import { entityStateSchema } from '../core/features/index.ts'
import type { EntityKey } from '../core/scoring.ts'
import type { EntityItem } from '../core/stream/batch.ts'
import type { EntityStore } from '../score/ports.ts'
import { batchGet } from './batch-get.ts'
import type { CapacityMeter } from './capacity-meter.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'

const key = tableSchemas.entityState.partitionKey.name

/**
 * Per-entity aggregate state, one small item per entity: the state as compact JSON, a version
 * for optimistic concurrency (entities like merchants are written from every shard), and per
 * shard the high-water mark of the records already counted.
 */
export class DynamoEntityStore implements EntityStore {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly retentionMs: number
  private readonly meter: CapacityMeter | undefined

  constructor(client: DynamoDBClient, table: string, options: { retentionDays: number; meter?: CapacityMeter }) {
    this.client = client
    this.table = table
    this.retentionMs = options.retentionDays * 86_400_000
    this.meter = options.meter
  }

  async read(keys: readonly EntityKey[]): Promise<Map<EntityKey, EntityItem>> {
    const items = await batchGet(this.client, this.table, key, keys, this.meter)
    return new Map([...items].map(([k, item]) => [k as EntityKey, fromItem(item)]))
  }

  async write(entityKey: EntityKey, entity: EntityItem, expectedVersion: number | undefined): Promise<'written' | 'conflict'> {
    const item: Record<string, AttributeValue> = {
      [key]: { S: entityKey },
      state: { S: JSON.stringify(entity.state) },
      version: { N: String(entity.version) },
      highWater: { M: Object.fromEntries(Object.entries(entity.highWater).map(([shard, mark]) => [shard, { S: mark }])) },
      // Aged out once its newest event is older than any window can reach.
      [ttlAttribute]: { N: String(Math.floor((entity.state.t + this.retentionMs) / 1000)) },
    }
    try {
      const response = await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': key } }
            : { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      )
      this.meter?.write(response.ConsumedCapacity, item, entityKey.slice(0, entityKey.indexOf('#')))
      return 'written'
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error
      this.meter?.write(undefined, item, entityKey.slice(0, entityKey.indexOf('#')))
      return 'conflict'
    }
  }
}

function fromItem(item: Record<string, AttributeValue>): EntityItem {
  return {
    state: entityStateSchema.parse(JSON.parse(item.state?.S ?? 'null')),
    version: Number(item.version?.N ?? 0),
    highWater: Object.fromEntries(Object.entries(item.highWater?.M ?? {}).map(([shard, mark]) => [shard, mark.S ?? ''])),
  }
}

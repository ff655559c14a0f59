import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import { entityStateSchema, trustedAt } from '../core/features/index.ts'
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
  private readonly now: () => number
  private readonly maxAheadMs: number

  /**
   * `retentionDays` must cover the largest window; `now` is the clock of reads and writes (epoch ms);
   * a stored state newer than it by more than `eventMaxAheadMs` is not trusted (`trustedAt`).
   */
  constructor(client: DynamoDBClient, table: string, options: { retentionDays: number; eventMaxAheadMs: number; meter?: CapacityMeter; now?: () => number }) {
    this.client = client
    this.table = table
    this.retentionMs = options.retentionDays * 86_400_000
    this.maxAheadMs = options.eventMaxAheadMs
    this.meter = options.meter
    this.now = options.now ?? Date.now
  }

  async read(keys: readonly EntityKey[]): Promise<Map<EntityKey, EntityItem>> {
    const items = await batchGet(this.client, this.table, key, keys, this.meter)
    const now = this.now()
    return new Map(
      [...items].map(([k, item]) => {
        const stored = fromItem(item)
        return [k as EntityKey, { ...stored, state: trustedAt(stored.state, now, this.maxAheadMs) }]
      }),
    )
  }

  async write(entityKey: EntityKey, entity: EntityItem, expectedVersion: number | undefined): Promise<'written' | 'conflict'> {
    const item: Record<string, AttributeValue> = {
      [key]: { S: entityKey },
      state: { S: JSON.stringify(entity.state) },
      version: { N: String(entity.version) },
      highWater: { M: Object.fromEntries(Object.entries(entity.highWater).map(([shard, mark]) => [shard, { S: mark }])) },
      // Aged out once no window can reach back to this write. From the write's clock, not the state's
      // newest event time: that is the producer's word, and one event dated 9999 would keep the item forever.
      [ttlAttribute]: { N: String(Math.floor((this.now() + this.retentionMs) / 1000)) },
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

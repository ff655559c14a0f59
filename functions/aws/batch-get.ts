import { BatchGetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { CapacityMeter } from './capacity-meter.ts'

const maxKeysPerCall = 100
const maxAttempts = 8

/**
 * Reads items by string partition key with as few round trips as DynamoDB allows: 100 keys a
 * call, calls in parallel, UnprocessedKeys retried with jittered exponential backoff. Strongly
 * consistent, because the scorer's idempotency decisions are made on what it reads.
 */
export async function batchGet(
  client: DynamoDBClient,
  table: string,
  keyName: string,
  keys: readonly string[],
  meter?: CapacityMeter,
): Promise<Map<string, Record<string, AttributeValue>>> {
  const found = new Map<string, Record<string, AttributeValue>>()
  const chunks: string[][] = []
  for (let i = 0; i < keys.length; i += maxKeysPerCall) chunks.push(keys.slice(i, i + maxKeysPerCall))
  await Promise.all(
    chunks.map(async (chunk) => {
      let pending: Array<Record<string, AttributeValue>> = chunk.map((key) => ({ [keyName]: { S: key } }))
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > maxAttempts) throw new Error(`BatchGetItem on ${table} left ${pending.length} keys unprocessed after ${maxAttempts} attempts`)
        if (attempt > 1) await backoff(attempt)
        const response = await client.send(
          new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } }, ReturnConsumedCapacity: 'TOTAL' }),
        )
        const items = response.Responses?.[table] ?? []
        meter?.read(response.ConsumedCapacity, items, true)
        for (const item of items) found.set(item[keyName]!.S!, item)
        pending = response.UnprocessedKeys?.[table]?.Keys ?? []
      }
    }),
  )
  return found
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 25 * 2 ** attempt)))

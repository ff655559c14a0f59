import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import { formatPosition } from '../core/stream/position.ts'
import type { QuarantineEntry, QuarantineStore } from '../score/ports.ts'

const key = tableSchemas.quarantine.partitionKey.name

/** Invalid records with their reason, keyed by stream position, so a redelivery overwrites itself. */
export class DynamoQuarantineStore implements QuarantineStore {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly ttlSeconds: number

  constructor(client: DynamoDBClient, table: string, options: { ttlDays: number }) {
    this.client = client
    this.table = table
    this.ttlSeconds = options.ttlDays * 86_400
  }

  async put(entry: QuarantineEntry): Promise<void> {
    const { position } = entry
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          [key]: { S: `${position.shardId}/${formatPosition(position)}` },
          shardId: { S: position.shardId },
          sequenceNumber: { S: position.sequenceNumber },
          subSequenceNumber: { N: String(position.subSequenceNumber) },
          partitionKey: { S: entry.partitionKey },
          code: { S: entry.code },
          issues: { S: JSON.stringify(entry.issues) },
          shape: { S: JSON.stringify(entry.shape) },
          receivedAt: { S: entry.receivedAt },
          [ttlAttribute]: { N: String(Math.floor(Date.parse(entry.receivedAt) / 1000) + this.ttlSeconds) },
        },
      }),
    )
  }
}

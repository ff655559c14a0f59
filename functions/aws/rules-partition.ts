import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandOutput } from '@aws-sdk/client-dynamodb'
import { tableSchemas } from '../../lib/table-schema.ts'

const pk = tableSchemas.rules.partitionKey.name
const sk = tableSchemas.rules.sortKey.name

/**
 * Every item of one partition of the rules table (or those whose sort key starts with `prefix`),
 * strongly consistent, page after page: rule-set versions, list values, rule stats, model chunks.
 */
export async function* queryPartition(
  client: DynamoDBClient,
  table: string,
  partition: string,
  prefix?: string,
  projection?: readonly string[],
): AsyncGenerator<Record<string, AttributeValue>> {
  const names: Record<string, string> = { '#pk': pk }
  if (prefix !== undefined) names['#sk'] = sk
  projection?.forEach((name, i) => (names[`#p${i}`] = name))
  let start: Record<string, AttributeValue> | undefined
  do {
    const page: QueryCommandOutput = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: prefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':pk': { S: partition }, ...(prefix === undefined ? {} : { ':prefix': { S: prefix } }) },
        ...(projection === undefined ? {} : { ProjectionExpression: projection.map((_, i) => `#p${i}`).join(', ') }),
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    )
    yield* page.Items ?? []
    start = page.LastEvaluatedKey
  } while (start)
}

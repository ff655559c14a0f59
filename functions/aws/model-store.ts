import { gunzipSync, gzipSync } from 'node:zlib'
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { modelItems, tableSchemas } from '../../lib/table-schema.ts'
import { compileModel, type CompiledModel, type ModelFile } from '../core/models/model-file.ts'
import { modelSummarySchema, type ModelSummary } from '../core/models/model-summary.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'
import { queryPartition } from './rules-partition.ts'

const pk = tableSchemas.rules.partitionKey.name
const sk = tableSchemas.rules.sortKey.name

export class ModelUnavailableError extends Error {
  readonly code = 'model_unavailable'
}

/**
 * Model versions in the rules table (see lib/table-schema.ts modelItems): uploaded once, never
 * changed, read by the scorers when a rule set pins them. Compiled models are cached for the life
 * of the process, keyed by name and version: a version is immutable, so a cached one is never
 * stale, and a scorer reads a model's chunks once per cold start, not per refresh.
 */
export class DynamoModelStore {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly compiled = new Map<string, Promise<CompiledModel>>()

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  /**
   * Stores a version: `created`, `same` when this exact file is already stored (an upload retried),
   * or `conflict` when the version holds another file; with the version as stored.
   */
  async put(file: ModelFile, meta: { createdAt: string; createdBy: string }): Promise<{ outcome: 'created' | 'same' | 'conflict'; stored: ModelSummary }> {
    const compared = (stored: ModelSummary) => ({ outcome: stored.checksum === file.checksum ? ('same' as const) : ('conflict' as const), stored })
    const existing = await this.summary(file.name, file.version)
    if (existing) return compared(existing)
    const json = JSON.stringify(file)
    const body = gzipSync(json)
    const chunks = Math.max(1, Math.ceil(body.length / modelItems.chunkBytes))
    const partition = modelItems.bodyPartition(file.name, file.version, file.checksum)
    for (let i = 0; i < chunks; i++) {
      const data = body.subarray(i * modelItems.chunkBytes, (i + 1) * modelItems.chunkBytes)
      await this.client.send(new PutItemCommand({ TableName: this.table, Item: { [pk]: { S: partition }, [sk]: { S: modelItems.chunkSortKey(i) }, data: { B: data } } }))
    }
    const { model, format: _format, formatVersion: _formatVersion, ...described } = file
    const summary: ModelSummary = { ...described, kind: model.kind, bytes: Buffer.byteLength(json), ...meta }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { [pk]: { S: modelItems.headerPartition }, [sk]: { S: modelItems.headerSortKey(file.name, file.version) }, summary: { S: JSON.stringify(summary) }, chunks: { N: String(chunks) } },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': pk },
        }),
      )
      return { outcome: 'created', stored: summary }
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error
      // Another upload of this version won the race: the same file, or another.
      return compared((await this.summary(file.name, file.version))!)
    }
  }

  async summary(name: string, version: number): Promise<ModelSummary | undefined> {
    const item = await this.header(name, version)
    return item ? summaryOf(item) : undefined
  }

  private async header(name: string, version: number): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: modelItems.headerPartition }, [sk]: { S: modelItems.headerSortKey(name, version) } }, ConsistentRead: true }),
    )
    return Item
  }

  /** Every stored version, by name then version. */
  async list(): Promise<ModelSummary[]> {
    const summaries: ModelSummary[] = []
    for await (const item of queryPartition(this.client, this.table, modelItems.headerPartition)) summaries.push(summaryOf(item))
    return summaries
  }

  /** A version compiled (its checksum verified), from the cache or read once; ModelUnavailableError if it cannot be. */
  load(name: string, version: number): Promise<CompiledModel> {
    const key = `${name}@${version}`
    let loading = this.compiled.get(key)
    if (!loading) {
      loading = this.read(name, version)
      this.compiled.set(key, loading)
      // A failed read is not cached: the next refresh tries again.
      loading.catch(() => this.compiled.delete(key))
    }
    return loading
  }

  private async read(name: string, version: number): Promise<CompiledModel> {
    const Item = await this.header(name, version)
    if (!Item) throw new ModelUnavailableError(`model ${name} version ${version} is not stored`)
    const { checksum } = summaryOf(Item)
    const chunks = Number(Item.chunks?.N)
    const parts: Uint8Array[] = []
    for await (const item of queryPartition(this.client, this.table, modelItems.bodyPartition(name, version, checksum))) parts.push(item.data!.B!)
    if (parts.length !== chunks) throw new ModelUnavailableError(`model ${name} version ${version}: ${parts.length} of ${chunks} chunks stored`)
    const compiled = compileModel(JSON.parse(gunzipSync(Buffer.concat(parts)).toString('utf8')))
    if (!compiled.ok) throw new ModelUnavailableError(`model ${name} version ${version} does not load: ${JSON.stringify(compiled.error.issues)}`)
    if (compiled.value.checksum !== checksum) throw new ModelUnavailableError(`model ${name} version ${version}: stored body is not the uploaded file`)
    return compiled.value
  }
}

const summaryOf = (item: Record<string, AttributeValue>): ModelSummary => modelSummarySchema.parse(JSON.parse(item.summary?.S ?? 'null'))

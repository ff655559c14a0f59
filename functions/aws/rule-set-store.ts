import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { listItems, ruleSetItems, tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import type { CompiledModel } from '../core/models/model-file.ts'
import { compileRuleSet, type CompiledRuleSet } from '../core/rules/compile.ts'
import { modelUseSchema, type RuleSetInput } from '../core/rules/rule-set.ts'
import { DynamoModelStore, ModelUnavailableError } from './model-store.ts'
import { queryPartition } from './rules-partition.ts'
import type { RuleSetSource } from '../score/ports.ts'

const pk = tableSchemas.rules.partitionKey.name
const sk = tableSchemas.rules.sortKey.name

export class RuleSetUnavailableError extends Error {
  readonly code = 'rule_set_unavailable'
}

export interface RuleSetSourceOptions {
  /** How often the active pointer and the lists' change counters are read. */
  refreshMs: number
  /**
   * How long a cached rule set keeps scoring while the rules table cannot be read: an activation or
   * a listing made meanwhile applies at most this late. Past it, batches fail (and are retried) as
   * when no rule set was ever read. Default 15 minutes.
   */
  maxStaleMs?: number
  clock?: () => number
  onRejected?: (version: number, issues: unknown) => void
  /** A refresh failed and the cached rule set, last read `staleMs` ago, keeps scoring. */
  onStale?: (error: unknown, staleMs: number) => void
}

/** A run-time list as last queried: its change counter then, and each value with its expiry (epoch ms). */
interface ListSnapshot {
  changes: number
  values: ReadonlyArray<{ value: string; expiresAt: number | undefined }>
}

export const defaultMaxStaleMs = 15 * 60_000

/**
 * The active rule set, compiled once per version and cached. Every `refreshMs` one small read of
 * the active pointer tells whether an operator activated another version; only then is the
 * version's body read and compiled. A version that fails to compile never replaces a working one.
 *
 * The run-time list items (a card listed by a fraud case) of the lists the rules read are merged
 * into the version's static lists. Each refresh reads each list's change counter (one small item,
 * see lib/table-schema.ts listItems) and queries the list again only when it moved, so an unchanged
 * block list costs one read per refresh however long it is; a listing past its `expiresAt` stops
 * applying at the next refresh without a query, and an unlisted value disappears with the query
 * its counted change triggers.
 *
 * A failed refresh does not fail the batch while a rule set is cached: scoring goes on with it for
 * up to `maxStaleMs` since the last successful read (see RuleSetSourceOptions).
 */
export class DynamoRuleSetSource implements RuleSetSource {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly refreshMs: number
  private readonly maxStaleMs: number
  private readonly clock: () => number
  private readonly onRejected: RuleSetSourceOptions['onRejected']
  private readonly onStale: RuleSetSourceOptions['onStale']
  /** `mergedUntil`: when the next listing merged into `ruleSet` expires (Infinity: none does). */
  private cached: { compiled: CompiledRuleSet; ruleSet: CompiledRuleSet; mergedUntil: number; checkedAt: number; readAt: number } | undefined
  private lists = new Map<string, ListSnapshot>()
  private refreshing: Promise<CompiledRuleSet> | undefined
  private readonly models: DynamoModelStore

  constructor(client: DynamoDBClient, table: string, options: RuleSetSourceOptions) {
    this.client = client
    this.table = table
    this.models = new DynamoModelStore(client, table)
    this.refreshMs = options.refreshMs
    this.maxStaleMs = options.maxStaleMs ?? defaultMaxStaleMs
    this.clock = options.clock ?? Date.now
    this.onRejected = options.onRejected
    this.onStale = options.onStale
  }

  current(): Promise<CompiledRuleSet> {
    const now = this.clock()
    if (this.cached && now - this.cached.checkedAt < this.refreshMs && now - this.cached.readAt <= this.maxStaleMs) return Promise.resolve(this.cached.ruleSet)
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private async refresh(): Promise<CompiledRuleSet> {
    const checkedAt = this.clock()
    try {
      const compiled = await this.activeVersion()
      const { ruleSet, mergedUntil } = await this.withListItems(compiled, checkedAt)
      this.cached = { compiled, ruleSet, mergedUntil, checkedAt, readAt: checkedAt }
      return ruleSet
    } catch (error) {
      const cached = this.cached
      if (!cached || error instanceof RuleSetUnavailableError || checkedAt - cached.readAt > this.maxStaleMs) throw error
      this.onStale?.(error, checkedAt - cached.readAt)
      // Tried again after the refresh interval, not on every batch meanwhile.
      cached.checkedAt = checkedAt
      return cached.ruleSet
    }
  }

  private async activeVersion(): Promise<CompiledRuleSet> {
    const pointer = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.activeSortKey } } }))
    const version = Number(pointer.Item?.version?.N)
    if (!Number.isInteger(version)) {
      if (this.cached) return this.cached.compiled
      throw new RuleSetUnavailableError(`no active rule set in ${this.table}`)
    }
    if (this.cached?.compiled.version === version) return this.cached.compiled
    const stored = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.versionSortKey(version) } }, ConsistentRead: true }),
    )
    const body: unknown = JSON.parse(stored.Item?.body?.S ?? 'null')
    const models = await pinnedModels(this.models, body)
    const compiled = compileRuleSet(body, { models: models.loaded })
    if (compiled.ok) return compiled.value
    this.onRejected?.(version, [...models.missing, ...compiled.error.issues])
    if (this.cached) return this.cached.compiled
    throw new RuleSetUnavailableError(`active rule set version ${version} does not compile: ${JSON.stringify(compiled.error.issues)}`)
  }

  /**
   * The version with its lists' live run-time values merged in. Merged again only when something
   * moved (another version, a list queried again, a listing expired): otherwise the last merge is
   * kept, so a long block list is not copied into a new set on every refresh.
   */
  private async withListItems(compiled: CompiledRuleSet, now: number): Promise<{ ruleSet: CompiledRuleSet; mergedUntil: number }> {
    const read = [...new Set(compiled.rules.flatMap((rule) => rule.reads.lists))]
    const snapshots = await Promise.all(read.map((list) => this.listSnapshot(list)))
    const previous = this.lists
    this.lists = new Map(read.map((list, i) => [list, snapshots[i]!]))
    const cached = this.cached
    if (cached?.compiled === compiled && now < cached.mergedUntil && read.every((list, i) => previous.get(list) === snapshots[i])) return cached
    let mergedUntil = Infinity
    const live = snapshots.map(({ values }) =>
      values
        .filter(({ expiresAt }) => {
          if (expiresAt === undefined) return true
          if (expiresAt > now) mergedUntil = Math.min(mergedUntil, expiresAt)
          return expiresAt > now
        })
        .map(({ value }) => value),
    )
    if (live.every((values) => values.length === 0)) return { ruleSet: compiled, mergedUntil }
    const lists = { ...compiled.lists }
    read.forEach((list, i) => {
      if (live[i]!.length > 0) lists[list] = new Set([...(compiled.lists[list] ?? []), ...live[i]!])
    })
    return { ruleSet: { ...compiled, lists }, mergedUntil }
  }

  /** The list as last queried if its change counter has not moved since, else queried again. */
  private async listSnapshot(list: string): Promise<ListSnapshot> {
    const counter = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [pk]: { S: listItems.changesPartition }, [sk]: { S: list } }, ConsistentRead: true }),
    )
    // No counter yet: no counted change ever, so once queried the list stays as read.
    const changes = Number(counter.Item?.[listItems.changesAttribute]?.N ?? 0)
    const known = this.lists.get(list)
    if (known?.changes === changes) return known
    return { changes, values: await this.listValues(list) }
  }

  private async listValues(list: string): Promise<ListSnapshot['values']> {
    const values: Array<ListSnapshot['values'][number]> = []
    for await (const item of queryPartition(this.client, this.table, listItems.partition(list))) {
      const expiresAt = item[ttlAttribute]?.N
      values.push({ value: item[sk]!.S!, expiresAt: expiresAt === undefined ? undefined : Number(expiresAt) * 1000 })
    }
    return values
  }
}

/**
 * The model versions a rule-set body pins, read from the store (cached: versions are immutable).
 * One that cannot be read is left out, and the rule set then refuses to compile without it, so a
 * set is never run without a model it names.
 */
export async function pinnedModels(store: Pick<DynamoModelStore, 'load'>, body: unknown): Promise<{ loaded: CompiledModel[]; missing: Array<{ path: string; message: string }> }> {
  const uses = (body as { models?: unknown } | null)?.models
  const loaded: CompiledModel[] = []
  const missing: Array<{ path: string; message: string }> = []
  if (!Array.isArray(uses)) return { loaded, missing }
  await Promise.all(
    uses.map(async (use, index) => {
      const parsed = modelUseSchema.safeParse(use)
      if (!parsed.success) return
      try {
        loaded.push(await store.load(parsed.data.name, parsed.data.version))
      } catch (error) {
        if (!(error instanceof ModelUnavailableError)) throw error
        missing.push({ path: `models[${index}]`, message: error.message })
      }
    }),
  )
  return { loaded, missing }
}

/** Stores a rule-set version and makes it the active one (what an upload and an activation do). */
export async function publishRuleSet(client: DynamoDBClient, table: string, ruleSet: RuleSetInput, now: Date): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        [pk]: { S: ruleSetItems.partition },
        [sk]: { S: ruleSetItems.versionSortKey(ruleSet.version) },
        body: { S: JSON.stringify(ruleSet) },
        createdAt: { S: now.toISOString() },
      },
    }),
  )
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: { [pk]: { S: ruleSetItems.partition }, [sk]: { S: ruleSetItems.activeSortKey }, version: { N: String(ruleSet.version) } },
    }),
  )
}

/**
 * Lists a value at run time as the case workflow does (lib/escalation.ts): the item, then the
 * list's change counter, so every reader queries the list again. `expiresAt`: when the listing stops applying.
 */
export async function listValue(client: DynamoDBClient, table: string, list: string, value: string, expiresAt?: Date): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        [pk]: { S: listItems.partition(list) },
        [sk]: { S: value },
        ...(expiresAt === undefined ? {} : { [ttlAttribute]: { N: String(Math.floor(expiresAt.getTime() / 1000)) } }),
      },
    }),
  )
  await countListChange(client, table, list)
}

/** Removes a run-time listing, then counts the change. */
export async function unlistValue(client: DynamoDBClient, table: string, list: string, value: string): Promise<void> {
  await client.send(new DeleteItemCommand({ TableName: table, Key: { [pk]: { S: listItems.partition(list) }, [sk]: { S: value } } }))
  await countListChange(client, table, list)
}

async function countListChange(client: DynamoDBClient, table: string, list: string): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { [pk]: { S: listItems.changesPartition }, [sk]: { S: list } },
      UpdateExpression: 'ADD #changes :one',
      ExpressionAttributeNames: { '#changes': listItems.changesAttribute },
      ExpressionAttributeValues: { ':one': { N: '1' } },
    }),
  )
}

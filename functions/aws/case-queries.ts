/**
 * What the case API reads (and, for rule sets, writes) beyond the case store: the analysts' queue
 * from the cases table's `byStatus` index, a stored decision with its label, and the rules table's
 * versions, active pointer and per-rule label counts. Thin: no HTTP, no validation of requests.
 */
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb'
import { ruleSetItems, ruleStatsItems, tableSchemas, ttlAttribute } from '../../lib/table-schema.ts'
import { caseSchema, type Case, type CaseStatus, type Priority } from '../core/cases/index.ts'
import type { Decision } from '../core/decision.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'
import { fromItem } from './decision-store.ts'

// ---------------------------------------------------------------------------------------------
// The queue: cases by status, oldest deadline first
// ---------------------------------------------------------------------------------------------

const caseKey = tableSchemas.cases.partitionKey.name
const byStatus = tableSchemas.cases.indexes[0]
const statusAttribute = byStatus.partitionKey.name
const deadlineAttribute = byStatus.sortKey.name

/** How far one status has been read: after this case (exclusive), or to its end. */
export type StatusPosition = { slaDueAt: string; caseId: string } | 'done'

/** Per status; a status without an entry starts from its beginning. */
export type CaseListPosition = Partial<Record<CaseStatus, StatusPosition>>

export interface CaseListQuery {
  statuses: readonly CaseStatus[]
  priorities?: readonly Priority[]
  assignee?: string
  limit: number
  after?: CaseListPosition
}

export interface CaseListPage {
  items: Case[]
  /** Where the next page starts; absent when every status has been read to its end. */
  next?: CaseListPosition
}

/** What one status yielded: its matching cases in index order, and how far the index was read. */
export interface StatusRead {
  status: CaseStatus
  items: Case[]
  /** The last key evaluated (filtered items included), or 'done' at the end of the status. */
  end: StatusPosition
}

export interface CaseQueryOptions {
  /** Query pages read per status per request, so a filter that matches little cannot run long (default 8). */
  pagesPerStatus?: number
  /** Items a filtered Query evaluates per page (default: 4 × (limit + 1), at least 100). */
  filteredPageSize?: number
}

export class DynamoCaseQueries {
  private readonly client: DynamoDBClient
  private readonly table: string
  private readonly pagesPerStatus: number
  private readonly filteredPageSize: number | undefined

  constructor(client: DynamoDBClient, table: string, options: CaseQueryOptions = {}) {
    this.client = client
    this.table = table
    this.pagesPerStatus = options.pagesPerStatus ?? 8
    this.filteredPageSize = options.filteredPageSize
  }

  /**
   * One page of the queue: each status's `byStatus` partition read from its own position (up to
   * `limit + 1` matches, so a full page knows whether more follow), then merged by `slaDueAt`.
   * The index is eventually consistent: a case that changed status a moment ago may show in its
   * old one, and one that changes status between pages may show twice or not at all.
   */
  async list(query: CaseListQuery): Promise<CaseListPage> {
    const reads = await Promise.all(
      query.statuses.map((status): Promise<StatusRead> | StatusRead => {
        const start = query.after?.[status]
        return start === 'done' ? { status, items: [], end: 'done' } : this.read(status, start, query)
      }),
    )
    return mergeByDeadline(reads, query.limit, query.after ?? {})
  }

  private async read(status: CaseStatus, start: Exclude<StatusPosition, 'done'> | undefined, query: CaseListQuery): Promise<StatusRead> {
    const names: Record<string, string> = { '#status': statusAttribute }
    const values: Record<string, AttributeValue> = { ':status': { S: status } }
    const filters: string[] = []
    if (query.priorities?.length) {
      names['#priority'] = 'priority'
      const placeholders = query.priorities.map((priority, i) => {
        values[`:p${i}`] = { S: priority }
        return `:p${i}`
      })
      filters.push(`#priority IN (${placeholders.join(', ')})`)
    }
    if (query.assignee !== undefined) {
      names['#assignee'] = 'assignee'
      values[':assignee'] = { S: query.assignee }
      filters.push('#assignee = :assignee')
    }
    const wanted = query.limit + 1
    const items: Case[] = []
    let exclusiveStart = start === undefined ? undefined : indexKey(status, start)
    for (let page = 0; page < this.pagesPerStatus; page++) {
      const response: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: byStatus.name,
          KeyConditionExpression: '#status = :status',
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          // Limit counts items evaluated before the filter: read wider pages when filtering.
          Limit: filters.length ? (this.filteredPageSize ?? Math.max(100, 4 * wanted)) : wanted - items.length,
          ScanIndexForward: true,
          ExclusiveStartKey: exclusiveStart,
        }),
      )
      for (const item of response.Items ?? []) items.push(caseSchema.parse(JSON.parse(item.body!.S!)))
      exclusiveStart = response.LastEvaluatedKey
      if (!exclusiveStart || items.length >= wanted) break
    }
    const end: StatusPosition = exclusiveStart ? { slaDueAt: exclusiveStart[deadlineAttribute]!.S!, caseId: exclusiveStart[caseKey]!.S! } : 'done'
    return { status, items, end }
  }
}

function indexKey(status: CaseStatus, position: { slaDueAt: string; caseId: string }): Record<string, AttributeValue> {
  return { [statusAttribute]: { S: status }, [deadlineAttribute]: { S: position.slaDueAt }, [caseKey]: { S: position.caseId } }
}

/**
 * Merges the reads of several statuses into one page, oldest `slaDueAt` first (ties: in the order
 * of `reads`). A status whose read stopped early (its page budget spent under a filter) bounds the
 * page: nothing later than where it stopped is emitted, since it may still hold earlier cases.
 * Every page makes progress: it emits a case, or moves a status's position past filtered ones.
 * `slaDueAt` is `toISOString()` output, so string order is time order.
 */
export function mergeByDeadline(reads: readonly StatusRead[], limit: number, after: CaseListPosition): CaseListPage {
  let bound: string | undefined
  for (const read of reads) if (read.end !== 'done' && (bound === undefined || read.end.slaDueAt < bound)) bound = read.end.slaDueAt
  const heads = reads.map(() => 0)
  const items: Case[] = []
  while (items.length < limit) {
    let pick = -1
    reads.forEach((read, i) => {
      const head = read.items[heads[i]!]
      if (head && (pick < 0 || head.slaDueAt < reads[pick]!.items[heads[pick]!]!.slaDueAt)) pick = i
    })
    if (pick < 0) break
    const next = reads[pick]!.items[heads[pick]!]!
    if (bound !== undefined && next.slaDueAt > bound) break
    items.push(next)
    heads[pick]!++
  }
  const position: CaseListPosition = {}
  let more = false
  reads.forEach((read, i) => {
    const taken = heads[i]!
    const last = taken > 0 ? read.items[taken - 1]! : undefined
    let at: StatusPosition | undefined
    if (taken < read.items.length) at = last ? { slaDueAt: last.slaDueAt, caseId: last.caseId } : after[read.status]
    else at = read.end // every match read was emitted: continue after everything evaluated
    if (at !== undefined) position[read.status] = at
    if (at !== 'done') more = true
  })
  return more ? { items, next: position } : { items }
}

// ---------------------------------------------------------------------------------------------
// A stored decision and its label
// ---------------------------------------------------------------------------------------------

export interface DecisionLabel {
  verdict: 'fraud' | 'legitimate'
  labeledAt?: string
  caseId?: string
}

export class DynamoDecisionQueries {
  private readonly client: DynamoDBClient
  private readonly table: string

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  /** The decision of a transaction, with the analysts' label if it has one; an expired item counts as gone. */
  async get(transactionId: string, now: number): Promise<{ decision: Decision; label?: DecisionLabel } | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [tableSchemas.decisions.partitionKey.name]: { S: transactionId } }, ConsistentRead: true }),
    )
    if (!Item) return undefined
    const expiresAt = Number(Item[ttlAttribute]?.N)
    if (Number.isFinite(expiresAt) && expiresAt * 1000 <= now) return undefined
    const { decision } = fromItem(Item)
    const verdict = Item.label?.S
    if (verdict !== 'fraud' && verdict !== 'legitimate') return { decision }
    const label: DecisionLabel = { verdict }
    if (Item.labeledAt?.S) label.labeledAt = Item.labeledAt.S
    if (Item.caseId?.S) label.caseId = Item.caseId.S
    return { decision, label }
  }
}

// ---------------------------------------------------------------------------------------------
// Rule-set versions, the active pointer and per-rule label counts (layout: lib/table-schema.ts)
// ---------------------------------------------------------------------------------------------

const rulesPk = tableSchemas.rules.partitionKey.name
const rulesSk = tableSchemas.rules.sortKey.name
const versionPrefix = ruleSetItems.versionSortKey(0).replace(/\d+$/, '')

export interface StoredRuleSetVersion {
  version: number
  createdAt?: string
  createdBy?: string
}

export interface RuleCounts {
  ruleId: string
  /** Decisions the rule fired in, as the scorer counts them (functions/aws/rule-stats-store.ts). */
  hits: number
  fraud: number
  legitimate: number
}

export class DynamoRuleAdmin {
  private readonly client: DynamoDBClient
  private readonly table: string

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  async activeVersion(): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: this.key(ruleSetItems.partition, ruleSetItems.activeSortKey), ConsistentRead: true }),
    )
    const version = Number(Item?.version?.N)
    return Number.isInteger(version) ? version : undefined
  }

  /** Every stored version, oldest first (the sort keys are zero-padded). */
  async versions(): Promise<StoredRuleSetVersion[]> {
    const out: StoredRuleSetVersion[] = []
    for await (const item of this.query(ruleSetItems.partition, versionPrefix, [rulesSk, 'createdAt', 'createdBy'])) {
      const version = Number(item[rulesSk]!.S!.slice(versionPrefix.length))
      const stored: StoredRuleSetVersion = { version }
      if (item.createdAt?.S) stored.createdAt = item.createdAt.S
      if (item.createdBy?.S) stored.createdBy = item.createdBy.S
      out.push(stored)
    }
    return out
  }

  /** The stored JSON of a version, parsed but not validated; undefined if there is no such version. */
  async body(version: number): Promise<unknown> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: this.key(ruleSetItems.partition, ruleSetItems.versionSortKey(version)), ConsistentRead: true }),
    )
    return Item?.body?.S === undefined ? undefined : JSON.parse(Item.body.S)
  }

  /** Stores a version without activating it; a version number is written once. */
  async create(version: number, body: unknown, meta: { createdAt: string; createdBy: string }): Promise<'created' | 'exists'> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...this.key(ruleSetItems.partition, ruleSetItems.versionSortKey(version)),
            body: { S: JSON.stringify(body) },
            createdAt: { S: meta.createdAt },
            createdBy: { S: meta.createdBy },
          },
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': rulesSk },
        }),
      )
      return 'created'
    } catch (error) {
      if (isConditionalCheckFailure(error)) return 'exists'
      throw error
    }
  }

  /** Points the scorers at `version` (activation and rollback alike); returns the version it replaced. */
  async activate(version: number, meta: { activatedAt: string; activatedBy: string }): Promise<number | undefined> {
    const { Attributes } = await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...this.key(ruleSetItems.partition, ruleSetItems.activeSortKey),
          version: { N: String(version) },
          activatedAt: { S: meta.activatedAt },
          activatedBy: { S: meta.activatedBy },
        },
        ReturnValues: 'ALL_OLD',
      }),
    )
    const previous = Number(Attributes?.version?.N)
    return Number.isInteger(previous) ? previous : undefined
  }

  /** Per rule of a version: the scorer's hits and the analysts' verdicts (one item per rule, counted with ADD). */
  async ruleCounts(version: number): Promise<RuleCounts[]> {
    const out: RuleCounts[] = []
    const count = (value: AttributeValue | undefined) => Number(value?.N ?? 0)
    for await (const item of this.query(ruleStatsItems.partition(version))) {
      out.push({ ruleId: item[rulesSk]!.S!, hits: count(item.hits), fraud: count(item.fraud), legitimate: count(item.legitimate) })
    }
    return out
  }

  private key(pk: string, sk: string): Record<string, AttributeValue> {
    return { [rulesPk]: { S: pk }, [rulesSk]: { S: sk } }
  }

  private async *query(partition: string, prefix?: string, projection?: readonly string[]): AsyncGenerator<Record<string, AttributeValue>> {
    const names: Record<string, string> = { '#pk': rulesPk }
    if (prefix !== undefined) names['#sk'] = rulesSk
    projection?.forEach((name, i) => (names[`#p${i}`] = name))
    let start: Record<string, AttributeValue> | undefined
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
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
}

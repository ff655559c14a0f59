/** The analysts' queue: cases by status from the cases table's `byStatus` index, oldest deadline first. */
import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandOutput } from '@aws-sdk/client-dynamodb'
import { tableSchemas } from '../../lib/table-schema.ts'
import { caseSchema, type Case, type CaseStatus, type Priority } from '../core/cases/index.ts'

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

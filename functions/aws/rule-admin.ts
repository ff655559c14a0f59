/**
 * Rule-set administration for the case API: stored versions, the active pointer (activate or roll
 * back), pending activation requests (four eyes), the administration trail, and per-rule counts of
 * hits and labels (layout: lib/table-schema.ts). Single-item conditional writes only: dynalite,
 * the local and test DynamoDB, has no transactions.
 */
import { randomUUID } from 'node:crypto'
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb'
import { labelSources, type LabelSource } from '../core/labels/label.ts'
import { ruleSetAuditItems, ruleSetItems, ruleStatsItems, tableSchemas } from '../../lib/table-schema.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'
import { queryPartition } from './rules-partition.ts'

const rulesPk = tableSchemas.rules.partitionKey.name
const rulesSk = tableSchemas.rules.sortKey.name
const prefixOf = (sortKey: string) => sortKey.replace(/\d+$/, '')
const versionPrefix = prefixOf(ruleSetItems.versionSortKey(0))
const requestPrefix = prefixOf(ruleSetItems.requestSortKey(0))

export interface StoredRuleSetVersion {
  version: number
  createdAt?: string
  createdBy?: string
}

export interface StoredRuleSet {
  /** The stored JSON, parsed but not validated. */
  body: unknown
  /** Whether the scorers ran it at some time: rolling back to it needs no second supervisor. */
  wasActive: boolean
}

/** A supervisor's request that another supervisor approve the activation of a version. */
export interface ActivationRequest {
  version: number
  requestedBy: string
  requestedAt: string
  /** The active version when it was requested; null before the first activation. */
  from: number | null
}

export const ruleSetAuditActions = ['uploaded', 'activation_requested', 'activated', 'rolled_back'] as const

/** One step of rule-set administration: who did what to which version, when, and what was active then. */
export interface RuleSetAuditEntry {
  at: string
  action: (typeof ruleSetAuditActions)[number]
  version: number
  /** The active version before the step; null before the first activation. */
  from: number | null
  by: string
  /** For an approved activation: the supervisor who requested it. */
  requestedBy?: string
}

/** How many audit entries `audit()` returns, newest first. */
export const auditPageSize = 100

export interface RuleCounts {
  ruleId: string
  /** Decisions the rule fired in, as the scorer counts them (functions/aws/rule-stats-store.ts). */
  hits: number
  fraud: number
  legitimate: number
  /** The same verdicts by the source of the label that set them (`{fraud: {chargeback: 3}}`). */
  bySource: LabelCountsBySource
}

export type LabelCountsBySource = Record<'fraud' | 'legitimate', Partial<Record<LabelSource, number>>>

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
    for await (const item of queryPartition(this.client, this.table, ruleSetItems.partition, versionPrefix, [rulesSk, 'createdAt', 'createdBy'])) {
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
    return (await this.stored(version))?.body
  }

  /** A stored version and whether it was ever active; undefined if there is no such version. */
  async stored(version: number): Promise<StoredRuleSet | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: this.key(ruleSetItems.partition, ruleSetItems.versionSortKey(version)), ConsistentRead: true }),
    )
    return Item?.body?.S === undefined ? undefined : { body: JSON.parse(Item.body.S), wasActive: Item.wasActive?.BOOL === true }
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

  /**
   * Points the scorers at `version` (an approved activation and a rollback alike) and marks it and
   * the version it replaced as having been active; returns the replaced version. The marks follow
   * the pointer, so a failure in between can only leave a version unmarked: a later rollback to it
   * then needs a second supervisor, never the reverse.
   */
  async activate(version: number, meta: { activatedAt: string; activatedBy: string; requestedBy?: string }): Promise<number | undefined> {
    const { Attributes } = await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...this.key(ruleSetItems.partition, ruleSetItems.activeSortKey),
          version: { N: String(version) },
          activatedAt: { S: meta.activatedAt },
          activatedBy: { S: meta.activatedBy },
          ...(meta.requestedBy === undefined ? {} : { requestedBy: { S: meta.requestedBy } }),
        },
        ReturnValues: 'ALL_OLD',
      }),
    )
    const parsed = Number(Attributes?.version?.N)
    const previous = Number.isInteger(parsed) ? parsed : undefined
    for (const ran of new Set([version, ...(previous === undefined ? [] : [previous])])) await this.markWasActive(ran)
    return previous
  }

  /** The pending request to activate `version`, if any. */
  async activationRequest(version: number): Promise<ActivationRequest | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: this.key(ruleSetItems.partition, ruleSetItems.requestSortKey(version)), ConsistentRead: true }),
    )
    return Item && !Item.approvedBy ? requestOf(version, Item) : undefined
  }

  /** Every pending activation request, lowest version first. */
  async activationRequests(): Promise<ActivationRequest[]> {
    const out: ActivationRequest[] = []
    for await (const item of queryPartition(this.client, this.table, ruleSetItems.partition, requestPrefix)) {
      if (!item.approvedBy) out.push(requestOf(Number(item[rulesSk]!.S!.slice(requestPrefix.length)), item))
    }
    return out
  }

  /**
   * Records a request to activate `version`, one pending per version: the pending one if there is
   * one already. An approved request is replaced (its approval is in the trail).
   */
  async requestActivation(request: ActivationRequest): Promise<{ created: boolean; request: ActivationRequest }> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...this.key(ruleSetItems.partition, ruleSetItems.requestSortKey(request.version)),
            requestedBy: { S: request.requestedBy },
            requestedAt: { S: request.requestedAt },
            ...(request.from === null ? {} : { from: { N: String(request.from) } }),
          },
          ConditionExpression: 'attribute_not_exists(#sk) OR attribute_exists(approvedBy)',
          ExpressionAttributeNames: { '#sk': rulesSk },
        }),
      )
      return { created: true, request }
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error
      const pending = await this.activationRequest(request.version)
      if (!pending) throw error // approved or withdrawn in between: the caller may try again
      return { created: false, request: pending }
    }
  }

  /**
   * Marks the pending request of `version` made by `requestedBy` approved, before the pointer moves;
   * false if it is no longer pending (someone approved it first), so of two approvers exactly one
   * activates. Marked rather than deleted: the API is granted no DeleteItem on the rules table.
   */
  async takeActivationRequest(version: number, approval: { requestedBy: string; approvedBy: string; approvedAt: string }): Promise<boolean> {
    return this.updateIf({
      Key: this.key(ruleSetItems.partition, ruleSetItems.requestSortKey(version)),
      UpdateExpression: 'SET approvedBy = :approver, approvedAt = :at',
      ConditionExpression: 'requestedBy = :by AND attribute_not_exists(approvedBy)',
      ExpressionAttributeValues: { ':by': { S: approval.requestedBy }, ':approver': { S: approval.approvedBy }, ':at': { S: approval.approvedAt } },
    })
  }

  /** Appends one step to the administration trail (never rewritten). */
  async appendAudit(entry: RuleSetAuditEntry): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...this.key(ruleSetAuditItems.partition, ruleSetAuditItems.sortKey(entry.at, randomUUID())),
          at: { S: entry.at },
          action: { S: entry.action },
          version: { N: String(entry.version) },
          ...(entry.from === null ? {} : { from: { N: String(entry.from) } }),
          by: { S: entry.by },
          ...(entry.requestedBy === undefined ? {} : { requestedBy: { S: entry.requestedBy } }),
        },
        ConditionExpression: 'attribute_not_exists(#sk)',
        ExpressionAttributeNames: { '#sk': rulesSk },
      }),
    )
  }

  /** The newest `auditPageSize` steps of the trail, newest first. */
  async audit(): Promise<RuleSetAuditEntry[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': rulesPk },
        ExpressionAttributeValues: { ':pk': { S: ruleSetAuditItems.partition } },
        ScanIndexForward: false,
        Limit: auditPageSize,
        ConsistentRead: true,
      }),
    )
    return Items.map((item) => {
      const entry: RuleSetAuditEntry = {
        at: item.at!.S!,
        action: item.action!.S! as RuleSetAuditEntry['action'],
        version: Number(item.version!.N),
        from: item.from?.N === undefined ? null : Number(item.from.N),
        by: item.by!.S!,
      }
      if (item.requestedBy?.S !== undefined) entry.requestedBy = item.requestedBy.S
      return entry
    })
  }

  private async markWasActive(version: number): Promise<void> {
    // False for a pointer to a version that was never stored (a hand-edited table): nothing to mark.
    await this.updateIf({
      Key: this.key(ruleSetItems.partition, ruleSetItems.versionSortKey(version)),
      UpdateExpression: 'SET wasActive = :true',
      ConditionExpression: 'attribute_exists(#sk)',
      ExpressionAttributeNames: { '#sk': rulesSk },
      ExpressionAttributeValues: { ':true': { BOOL: true } },
    })
  }

  /** A conditional update of one item of the table: false if its condition does not hold. */
  private async updateIf(input: Omit<UpdateItemCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({ TableName: this.table, ...input }))
      return true
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false
      throw error
    }
  }

  /** Per rule of a version: the scorer's hits and the labels of its hits (one item per rule, counted with ADD by the label applier). */
  async ruleCounts(version: number): Promise<RuleCounts[]> {
    const out: RuleCounts[] = []
    const count = (value: AttributeValue | undefined) => Number(value?.N ?? 0)
    for await (const item of queryPartition(this.client, this.table, ruleStatsItems.partition(version))) {
      const bySource: LabelCountsBySource = { fraud: {}, legitimate: {} }
      for (const verdict of ['fraud', 'legitimate'] as const) {
        for (const source of labelSources) if (count(item[`${verdict}_${source}`]) > 0) bySource[verdict][source] = count(item[`${verdict}_${source}`])
      }
      out.push({ ruleId: item[rulesSk]!.S!, hits: count(item.hits), fraud: count(item.fraud), legitimate: count(item.legitimate), bySource })
    }
    return out
  }

  private key(pk: string, sk: string): Record<string, AttributeValue> {
    return { [rulesPk]: { S: pk }, [rulesSk]: { S: sk } }
  }
}

function requestOf(version: number, item: Record<string, AttributeValue>): ActivationRequest {
  return { version, requestedBy: item.requestedBy!.S!, requestedAt: item.requestedAt!.S!, from: item.from?.N === undefined ? null : Number(item.from.N) }
}

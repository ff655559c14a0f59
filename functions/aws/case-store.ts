import { GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableSchemas } from '../../lib/table-schema.ts'
import { caseSchema, type Case } from '../core/cases/index.ts'
import { isConditionalCheckFailure } from './conditional-check.ts'

const key = tableSchemas.cases.partitionKey.name

/** Where the workflow waits for a verdict: the task token and who may answer it. */
export interface PendingTask {
  token: string
  role: 'analyst' | 'supervisor'
}

/**
 * Cases, one item each: the case as JSON (validated on every read), plus the attributes the
 * queue index and conditions need at the top level. Every change is conditional on the version it
 * read, so two analysts deciding at once cannot both win. The workflow's task token sits beside
 * the case, not in it: it is plumbing, not part of the case's story.
 */
export class DynamoCaseStore {
  private readonly client: DynamoDBClient
  private readonly table: string

  constructor(client: DynamoDBClient, table: string) {
    this.client = client
    this.table = table
  }

  async get(caseId: string): Promise<{ case: Case; pending: PendingTask | undefined } | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [key]: { S: caseId } }, ConsistentRead: true }))
    if (!Item) return undefined
    const token = Item.taskToken?.S
    const role = Item.taskRole?.S
    return {
      case: caseSchema.parse(JSON.parse(Item.body!.S!)),
      pending: token && (role === 'analyst' || role === 'supervisor') ? { token, role } : undefined,
    }
  }

  /** Stores a new case; if one exists under its id (a repeated start), returns that one, not created. */
  async create(c: Case): Promise<{ case: Case; created: boolean }> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.table, Item: this.item(c), ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': key } }))
      return { case: c, created: true }
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error
      const existing = await this.get(c.caseId)
      if (!existing) throw error
      return { case: existing.case, created: false }
    }
  }

  /** Writes `c` if the stored version is still the one before it; 'conflict' if someone else changed it. */
  async update(c: Case, previousVersion: number): Promise<'written' | 'conflict'> {
    const item = this.item(c)
    const names: Record<string, string> = { '#version': 'version' }
    const values: Record<string, AttributeValue> = { ':previous': { N: String(previousVersion) } }
    const sets = Object.entries(item)
      .filter(([name]) => name !== key)
      .map(([name, value], i) => {
        names[`#a${i}`] = name
        values[`:a${i}`] = value
        return `#a${i} = :a${i}`
      })
    const removals = ['assignee', 'outcome'].filter((name) => !(name in item)).map((name) => `#r_${name}`)
    for (const name of ['assignee', 'outcome']) if (!(name in item)) names[`#r_${name}`] = name
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [key]: { S: c.caseId } },
          UpdateExpression: `SET ${sets.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}`,
          ConditionExpression: '#version = :previous',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      )
      return 'written'
    } catch (error) {
      if (isConditionalCheckFailure(error)) return 'conflict'
      throw error
    }
  }

  /** Records where the workflow now waits, replacing any earlier token (a new wait supersedes it). */
  async setPendingTask(caseId: string, pending: PendingTask): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { [key]: { S: caseId } },
        UpdateExpression: 'SET taskToken = :token, taskRole = :role',
        ConditionExpression: 'attribute_exists(#id)',
        ExpressionAttributeNames: { '#id': key },
        ExpressionAttributeValues: { ':token': { S: pending.token }, ':role': { S: pending.role } },
      }),
    )
  }

  private item(c: Case): Record<string, AttributeValue> {
    return {
      [key]: { S: c.caseId },
      body: { S: JSON.stringify(c) },
      status: { S: c.status },
      slaDueAt: { S: c.slaDueAt },
      priority: { S: c.priority },
      version: { N: String(c.version) },
      transactionId: { S: c.transactionId },
      ...(c.assignee ? { assignee: { S: c.assignee } } : {}),
      ...(c.outcome ? { outcome: { S: c.outcome } } : {}),
    }
  }
}

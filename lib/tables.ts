import { RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import type * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import { Construct } from 'constructs'
import { tableSchemas, type KeyAttribute, type TableSchema } from './table-schema.ts'

// The key names are defined in ./table-schema.ts (no imports, safe to bundle into Lambda code).
export { entityKeySeparator, tableSchemas, ttlAttribute } from './table-schema.ts'
export type { KeyAttribute, TableKey, TableSchema } from './table-schema.ts'

/** The DynamoDB actions Vigil's functions call, by API name; what `Tables.grant` grants from. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem'
const readActions: ReadonlySet<TableAction> = new Set(['GetItem', 'BatchGetItem', 'Query'])

export interface TablesProps {
  /** RETAIN also turns on deletion protection. */
  readonly removalPolicy: RemovalPolicy
}

/**
 * The core's DynamoDB tables: on-demand, point-in-time recovery, encrypted with one
 * customer-managed key shared by all of them (they hold the same class of data, tokenized, and the
 * score Lambda touches all of them, so a key per table would add cost and grants but no isolation).
 * Physical names are generated; functions get them through `tableSchemas[*].envVar`.
 */
export class Tables extends Construct {
  /** Encrypts every table. `table.grant*` grants on it as needed. */
  readonly key: kms.Key
  readonly decisions: dynamodb.Table
  readonly entityState: dynamodb.Table
  readonly rules: dynamodb.Table
  readonly quarantine: dynamodb.Table
  readonly cases: dynamodb.Table
  readonly labels: dynamodb.Table

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id)

    this.key = new kms.Key(this, 'Key', {
      description: `${Stack.of(this).stackName}: DynamoDB encryption of decisions, entity state, rules, quarantine, cases and labels`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    })

    const table = (schema: TableSchema): dynamodb.Table => {
      const created = new dynamodb.Table(this, schema.constructId, {
        partitionKey: attribute(schema.partitionKey),
        ...(schema.sortKey ? { sortKey: attribute(schema.sortKey) } : {}),
        ...(schema.ttlAttribute ? { timeToLiveAttribute: schema.ttlAttribute } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        removalPolicy: props.removalPolicy,
        deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      })
      for (const index of schema.indexes ?? []) {
        created.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
        })
      }
      return created
    }

    this.decisions = table(tableSchemas.decisions)
    this.entityState = table(tableSchemas.entityState)
    this.rules = table(tableSchemas.rules)
    this.quarantine = table(tableSchemas.quarantine)
    this.cases = table(tableSchemas.cases)
    this.labels = table(tableSchemas.labels)
  }

  /**
   * Exactly `actions` on `table` (and its indexes, which Query reads) and the tables key as they
   * need it: decrypt to read, encrypt too to write (CDK's key actions for table grants). Not
   * grantReadData/grantReadWriteData, which give every read or write action (Scan, DeleteItem,
   * BatchWriteItem, …) whatever the code calls: list here only the calls a function makes.
   */
  grant(table: dynamodb.Table, grantee: iam.IGrantable, ...actions: [TableAction, ...TableAction[]]): void {
    table.grant(grantee, ...actions.map((action) => `dynamodb:${action}`))
    const writes = actions.some((action) => !readActions.has(action))
    this.key.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey', ...(writes ? ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] : []))
  }
}

const attributeTypes = { S: dynamodb.AttributeType.STRING } as const

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: attributeTypes[key.type] }
}

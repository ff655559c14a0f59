/**
 * The DynamoDB tables' keys, named once. Plain data with no imports, so Lambda code and the local
 * runtime can import it without pulling aws-cdk-lib into a bundle; lib/tables.ts builds the tables
 * from it and re-exports it.
 *
 * Every key attribute is a string (`S`). `expiresAt`, where present, is the DynamoDB TTL attribute:
 * a number of epoch **seconds** (not milliseconds) after which DynamoDB may delete the item, usually
 * within a few days. Readers must still ignore expired items that are not yet deleted.
 */

export type KeyAttribute = { readonly name: string; readonly type: 'S' }

export interface TableSchema {
  /** Id of the table's construct under `Tables`: part of its logical id, so never rename it. */
  readonly constructId: string
  /** Environment variable that carries the generated table name to a Lambda function. */
  readonly envVar: string
  readonly partitionKey: KeyAttribute
  readonly sortKey?: KeyAttribute
  /** Set on tables whose items age out. */
  readonly ttlAttribute?: string
  /** Global secondary indexes (all attributes projected). */
  readonly indexes?: readonly IndexSchema[]
}

export interface IndexSchema {
  readonly name: string
  readonly partitionKey: KeyAttribute
  readonly sortKey?: KeyAttribute
}

export const ttlAttribute = 'expiresAt'

/** Separates an entity's kind from its id in `entityKey`: `card#<token>`, `account#<id>`, `device#<id>`. */
export const entityKeySeparator = '#'

export const tableSchemas = {
  /** One item per scored transaction; the conditional put on `transactionId` is the idempotency guard. */
  decisions: {
    constructId: 'Decisions',
    envVar: 'VIGIL_DECISIONS_TABLE',
    partitionKey: { name: 'transactionId', type: 'S' },
    ttlAttribute,
  },
  /** Per-entity windowed aggregates, keyed `<kind>#<id>` (see `entityKeySeparator`). */
  entityState: {
    constructId: 'EntityState',
    envVar: 'VIGIL_ENTITY_STATE_TABLE',
    partitionKey: { name: 'entityKey', type: 'S' },
    ttlAttribute,
  },
  /** Rule-set versions, the active-version pointer and lists: single-table, generic `pk`/`sk`. Kept forever, but for list items that expire. */
  rules: {
    constructId: 'Rules',
    envVar: 'VIGIL_RULES_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute,
  },
  /** Records that failed parsing or validation, with the reason. */
  quarantine: {
    constructId: 'Quarantine',
    envVar: 'VIGIL_QUARANTINE_TABLE',
    partitionKey: { name: 'id', type: 'S' },
    ttlAttribute,
  },
  /**
   * Fraud cases, one item per case. `byStatus` serves the analysts' queue: the cases of a status,
   * oldest SLA first (`slaDueAt` is an ISO 8601 UTC string, so it sorts by time).
   */
  cases: {
    constructId: 'Cases',
    envVar: 'VIGIL_CASES_TABLE',
    partitionKey: { name: 'caseId', type: 'S' },
    indexes: [{ name: 'byStatus', partitionKey: { name: 'status', type: 'S' }, sortKey: { name: 'slaDueAt', type: 'S' } }],
  },
  /**
   * What is known of a transaction's outcome: one item per labeled transaction, `{transactionId,
   * standing: <label JSON>, applied: <what each label record did, JSON>, version}`, written by the
   * label applier only (functions/apply-labels/). A label whose transaction is not scored yet also
   * carries `pending: "pending"` and `pendingSince`: the sparse `pending` index lists exactly those.
   */
  labels: {
    constructId: 'Labels',
    envVar: 'VIGIL_LABELS_TABLE',
    partitionKey: { name: 'transactionId', type: 'S' },
    ttlAttribute,
    indexes: [{ name: 'pending', partitionKey: { name: 'pending', type: 'S' }, sortKey: { name: 'pendingSince', type: 'S' } }],
  },
} as const satisfies Record<string, TableSchema>

export type TableKey = keyof typeof tableSchemas

/**
 * Block and allow lists that change at run time (a case decided as fraud lists the card) are
 * items of the rules table, `{pk: "list#blocked_cards", sk: "<value>"}`, with an optional
 * `expiresAt` after which the listing no longer applies: one write per change, and the scorer
 * merges them into the rule set's static lists of the same name.
 *
 * Every writer then adds 1 to the list's change counter, `{pk: "list-changes", sk: "<list>",
 * changes: n}` (after the item, never before): readers poll that one small item and query the
 * list again only when it moved. A write that does not count is seen at the reader's next cold start.
 */
export const listItems = {
  partition: (list: string): string => `list#${list}`,
  changesPartition: 'list-changes',
  changesAttribute: 'changes',
} as const

/**
 * Per rule-set version and rule, the analysts' verdicts on the transactions it fired on:
 * `{pk: "stats#0000000042", sk: "<rule id>", fraud: n, legitimate: n}`, counted atomically (ADD).
 */
export const ruleStatsItems = {
  partition: (version: number): string => `stats#${String(version).padStart(10, '0')}`,
} as const

/**
 * Items of the rules table. A rule set version is `{pk: "ruleset", sk: "version#0000000042",
 * body: "<rule-set JSON>", wasActive?: true}`; the active version is `{pk: "ruleset", sk: "active",
 * version: 42}`. Zero-padded so versions sort in order; activation or rollback rewrites only the
 * pointer. A supervisor's pending request to activate a version (four eyes: another supervisor
 * approves it) is `{pk: "ruleset", sk: "request#0000000042", requestedBy, requestedAt, from}`, and
 * `approvedBy`, `approvedAt` once approved.
 */
export const ruleSetItems = {
  partition: 'ruleset',
  activeSortKey: 'active',
  versionSortKey: (version: number): string => `version#${String(version).padStart(10, '0')}`,
  requestSortKey: (version: number): string => `request#${String(version).padStart(10, '0')}`,
} as const

/**
 * Model files, immutable once uploaded, in the rules table beside the rule sets that pin them. A
 * version's header is `{pk: "models", sk: "fraud#version#0000000002", checksum, chunks, bytes,
 * features, source, training?, metrics?, createdAt, createdBy}`; its body, gzipped JSON, is cut
 * into `chunks` binary items `{pk: "model-body#fraud#0000000002#<checksum>", sk: "chunk#000",
 * data}` of at most `chunkBytes`: a DynamoDB item holds 400 KB and a 300-tree model's JSON is
 * megabytes. Chunks are written first and the header last (the version exists once its header
 * does), and the chunks' partition names the checksum, so two uploads racing for one version can
 * never mix their chunks.
 */
export const modelItems = {
  headerPartition: 'models',
  headerSortKey: (name: string, version: number): string => `${name}#version#${String(version).padStart(10, '0')}`,
  bodyPartition: (name: string, version: number, checksum: string): string => `model-body#${name}#${String(version).padStart(10, '0')}#${checksum.replace(/^sha256:/, '')}`,
  chunkSortKey: (index: number): string => `chunk#${String(index).padStart(3, '0')}`,
  chunkBytes: 300 * 1024,
} as const

/**
 * The rule-set administration trail, kept forever: `{pk: "ruleset-audit", sk: "<ISO time>#<id>",
 * action, version, from, by, at}`, one item per upload, activation request, approval or rollback.
 * ISO times sort in order, so a query reads it newest first.
 */
export const ruleSetAuditItems = {
  partition: 'ruleset-audit',
  sortKey: (at: string, id: string): string => `${at}#${id}`,
} as const

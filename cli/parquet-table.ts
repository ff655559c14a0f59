import { fileWriter, ParquetWriter } from 'hyparquet-writer'
import type { SchemaElement } from 'hyparquet'

/**
 * The point-in-time feature table as Parquet, written a row group at a time: memory holds one row
 * group (`rowGroupSize` rows), never the table, so a replay of millions of transactions streams.
 *
 * Columns, as pandas and pyarrow users expect them:
 * - transactionId: string (UTF8), required;
 * - occurredAt: timestamp, milliseconds, UTC (`pd.read_parquet` gives datetime64[ms, UTC], ready
 *   for time-based splits, where a string would need parsing first);
 * - every feature: double, nullable (a missing value is null, as the CSV's empty cell; booleans
 *   are 1 and 0, as in the CSV, so the table is one numeric matrix);
 * - fraud: int32, nullable: 1, 0, or null without a label (the CSV's 1/0/empty).
 */
export class ParquetFeatureTable {
  private readonly writer: ParquetWriter
  private ids: string[] = []
  private times: Date[] = []
  private columns: Array<Array<number | null>>
  private labels: Array<number | null> = []
  private readonly features: readonly string[]
  private readonly rowGroupSize: number

  constructor(path: string, features: readonly string[], rowGroupSize = 50_000) {
    this.features = features
    this.rowGroupSize = rowGroupSize
    const file = fileWriter(path)
    this.columns = features.map(() => [])
    const schema: SchemaElement[] = [
      { name: 'root', num_children: features.length + 3 },
      { name: 'transactionId', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'REQUIRED' },
      { name: 'occurredAt', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' }, repetition_type: 'REQUIRED' },
      ...features.map((name): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' })),
      { name: 'fraud', type: 'INT32', repetition_type: 'OPTIONAL' },
    ]
    this.writer = new ParquetWriter({ writer: file, schema, createdBy: 'vigil features (hyparquet-writer)' })
  }

  /** One transaction: `values[i]` is `features[i]`'s value, undefined when missing. */
  row(transactionId: string, occurredAt: string, values: ReadonlyArray<number | boolean | undefined>, fraud: boolean | undefined): void {
    this.ids.push(transactionId)
    this.times.push(new Date(occurredAt))
    values.forEach((v, i) => this.columns[i]!.push(v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v))
    this.labels.push(fraud === undefined ? null : fraud ? 1 : 0)
    if (this.ids.length >= this.rowGroupSize) this.flush()
  }

  /** Writes the last row group and the footer (the writer's finish flushes the file). */
  close(): void {
    this.flush()
    this.writer.finish()
  }

  private flush(): void {
    if (this.ids.length === 0) return
    const n = this.ids.length
    this.writer.write({
      rowGroupSize: n,
      columnData: [
        { name: 'transactionId', data: this.ids },
        { name: 'occurredAt', data: this.times },
        ...this.features.map((name, i) => ({ name, data: this.columns[i]! })),
        { name: 'fraud', data: this.labels },
      ],
    })
    this.ids = []
    this.times = []
    this.columns = this.features.map(() => [])
    this.labels = []
  }
}

import type { AttributeValue, ConsumedCapacity } from '@aws-sdk/client-dynamodb'

/**
 * Request units and round trips of the DynamoDB calls the stores make, writes also by what was
 * written (`decision`, `card`, `merchant`, …). Units come from ReturnConsumedCapacity (dynalite
 * reports them as AWS does); where a response carries none (a failed condition) they are counted
 * from the item's size by DynamoDB's rules, and `estimated` says so.
 */
export class CapacityMeter {
  readUnits = 0
  writeUnits = 0
  readCalls = 0
  writeCalls = 0
  estimated = false
  readonly writeUnitsBy = new Map<string, number>()

  read(consumed: ConsumedCapacity[] | ConsumedCapacity | undefined, items: ReadonlyArray<Record<string, AttributeValue>>, consistent: boolean): void {
    this.readCalls++
    const reported = total(consumed)
    if (reported !== undefined) this.readUnits += reported
    else {
      this.estimated = true
      // A strongly consistent read costs 1 unit per 4 KB of each item (eventually consistent: half).
      this.readUnits += items.reduce((sum, item) => sum + Math.max(1, Math.ceil(itemSize(item) / 4096)) * (consistent ? 1 : 0.5), 0)
    }
  }

  write(consumed: ConsumedCapacity[] | ConsumedCapacity | undefined, item: Record<string, AttributeValue>, label: string): void {
    this.writeCalls++
    let units = total(consumed)
    if (units === undefined) {
      this.estimated = true
      // A write costs 1 unit per 1 KB of the item written (of the larger of old and new; ours grow slowly).
      units = Math.max(1, Math.ceil(itemSize(item) / 1024))
    }
    this.writeUnits += units
    this.writeUnitsBy.set(label, (this.writeUnitsBy.get(label) ?? 0) + units)
  }
}

function total(consumed: ConsumedCapacity[] | ConsumedCapacity | undefined): number | undefined {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : []
  if (list.length === 0 || list.every((c) => c.CapacityUnits === undefined)) return undefined
  return list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0)
}

/** An item's size as DynamoDB bills it: attribute names plus values (UTF-8 strings, ~digits/2 numbers). */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value)
  return size
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S)
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1
  if (value.B !== undefined) return value.B.byteLength
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + valueSize(v) + 1, 0)
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + valueSize(v) + 1, 0)
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0)
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + Math.ceil(n.length / 2) + 1, 0)
  return 0
}

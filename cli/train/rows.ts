/**
 * Training rows in typed arrays, one column per model input (a feature of the rule set or a
 * transaction input): 4 bytes a value (float32, what the tree predictor compares in anyway; NaN is
 * missing), so a million rows of 20 inputs hold in about 80 MB however long the history is.
 * Columns grow by doubling.
 */
export class FeatureRows {
  readonly names: readonly string[]
  columns: Float32Array[]
  /** Event time (epoch ms). */
  time: Float64Array
  /** The card, as a small integer (first seen, first numbered): CP@k groups by card. */
  card: Int32Array
  /** 1: fraud by the labels known at the cutoff; 0: legitimate or unlabelled. */
  target: Uint8Array
  /** For a fraud: when its label became known (epoch ms); Infinity otherwise. */
  knownAt: Float64Array
  length = 0
  private readonly cards = new Map<string, number>()

  constructor(names: readonly string[], capacity = 1024) {
    this.names = names
    this.columns = names.map(() => new Float32Array(capacity))
    this.time = new Float64Array(capacity)
    this.card = new Int32Array(capacity)
    this.target = new Uint8Array(capacity)
    this.knownAt = new Float64Array(capacity)
  }

  /** Appends a row (`values[f]` is input f; undefined or NaN is missing); returns its index. Target and knownAt are set later, once the cutoff is known. */
  push(values: ArrayLike<number | undefined>, time: number, cardToken: string): number {
    if (this.length === this.time.length) this.grow()
    const i = this.length++
    for (let f = 0; f < this.names.length; f++) this.columns[f]![i] = values[f] ?? Number.NaN
    this.time[i] = time
    let card = this.cards.get(cardToken)
    if (card === undefined) this.cards.set(cardToken, (card = this.cards.size))
    this.card[i] = card
    this.knownAt[i] = Infinity
    return i
  }

  /** Row `i` as the model file's scorer reads it: `values[f]` is feature f, undefined when missing. */
  row(i: number, out: Array<number | undefined> = new Array(this.names.length)): Array<number | undefined> {
    for (let f = 0; f < this.names.length; f++) {
      const v = this.columns[f]![i]!
      out[f] = Number.isNaN(v) ? undefined : v
    }
    return out
  }

  private grow(): void {
    const capacity = this.time.length * 2
    const widen = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity)
      b.set(a)
      return b
    }
    this.columns = this.columns.map((c) => widen(c, (n) => new Float32Array(n)))
    this.time = widen(this.time, (n) => new Float64Array(n))
    this.card = widen(this.card, (n) => new Int32Array(n))
    this.target = widen(this.target, (n) => new Uint8Array(n))
    this.knownAt = widen(this.knownAt, (n) => new Float64Array(n))
  }
}

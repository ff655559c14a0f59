/**
 * The Fraud Detection Handbook's transaction simulator (Le Borgne et al., "Reproducible Machine
 * Learning for Credit Card Fraud Detection – Practical Handbook", Chapter 3, "Transaction data
 * simulator": Chapter_3_GettingStarted/SimulatedDataset.ipynb), ported from its published
 * description and code, step for step:
 *
 * 1. customers: a location uniform on a 100 × 100 grid, a mean amount uniform in (5, 100) with a
 *    standard deviation of half of it, a mean number of transactions a day uniform in (0, 4);
 * 2. terminals: a location uniform on the same grid;
 * 3. a customer uses only the terminals closer than `radius` (strictly);
 * 4. each day, a customer makes Poisson(mean) transactions, each at a time drawn from
 *    N(noon, 20,000 s) truncated toward zero to whole seconds and kept only inside the day, for an
 *    amount drawn from N(mean, sd) (redrawn uniform in (0, 2 × mean) when negative, rounded to
 *    cents), at a terminal chosen uniformly among the customer's;
 * 5. frauds, in this order: (1) every amount over 220; (2) each day but the last, 2 terminals drawn
 *    at random: all their transactions from that day for 28 days; (3) each day but the last,
 *    3 customers drawn at random: a third (rounded down) of their transactions from that day for
 *    14 days, drawn at random, get their amount multiplied by 5.
 *
 * Everything the handbook seeds (numpy and `random` per customer, pandas' `sample` per day) draws
 * here from its own seeded stream (sfc32, `local/traffic/random.ts`). numpy's Mersenne Twister
 * stream cannot be reproduced from that description, so the transactions are not the handbook's
 * transactions: they are another draw of the same process, and counts agree within the process's
 * own spread (`expectedTransactionSpread`, and the bench's check), not digit for digit.
 */
import { Random } from '../../local/traffic/random.ts'

export interface SimulatorConfig {
  customers: number
  terminals: number
  days: number
  /** The first day, midnight UTC (the handbook's TX_DATETIME is a naive time; Vigil needs a zone). */
  startDate: string
  radius: number
  seed: number
}

/** The handbook's configuration: `generate_dataset(n_customers=5000, n_terminals=10000, nb_days=183, start_date="2018-04-01", r=5)`. */
export const handbookConfig: SimulatorConfig = { customers: 5000, terminals: 10_000, days: 183, startDate: '2018-04-01', radius: 5, seed: 0 }

/** The fraud scenarios' parameters, as the handbook fixes them. */
export const scenarios = {
  amountThresholdCents: 220_00,
  compromisedTerminalsPerDay: 2,
  terminalCompromiseDays: 28,
  compromisedCustomersPerDay: 3,
  customerCompromiseDays: 14,
  amountMultiplier: 5,
} as const

const secondsPerDay = 86_400
/** N(noon, 20,000 s): most transactions in the day, about 3% drawn outside it and dropped. */
const timeMean = secondsPerDay / 2
const timeSd = 20_000

export interface CustomerProfiles {
  x: Float64Array
  y: Float64Array
  meanAmount: Float64Array
  stdAmount: Float64Array
  meanTxPerDay: Float64Array
  /** Terminal indices within the radius, per customer. */
  terminals: Int32Array[]
}

export interface TerminalProfiles {
  x: Float64Array
  y: Float64Array
}

/** The labelled transactions table, one column per field, in time order; index = TRANSACTION_ID. */
export interface SimulatedTransactions {
  count: number
  /** TX_TIME_SECONDS: seconds since `startDate`. */
  seconds: Int32Array
  /** TX_TIME_DAYS. */
  day: Int32Array
  customer: Int32Array
  terminal: Int32Array
  /** TX_AMOUNT in cents (after scenario 3's multiplication). */
  amountCents: Int32Array
  fraud: Uint8Array
  /** 0 genuine, else the scenario that labelled it last (1, 2 or 3), as TX_FRAUD_SCENARIO. */
  scenario: Uint8Array
}

export interface SimulatedDataset {
  config: SimulatorConfig
  customers: CustomerProfiles
  terminals: TerminalProfiles
  transactions: SimulatedTransactions
  /** As the handbook prints them: frauds added by each scenario, net of those already fraudulent. */
  fraudsByScenario: { 1: number; 2: number; 3: number }
  frauds: number
  /** What scenarios 2 and 3 drew, per day: the terminals and the customers compromised that day. */
  compromised: Compromised
}

export interface Compromised {
  terminals: number[][]
  customers: number[][]
}

/** Stream kinds, so every seeded part of the handbook draws from its own sequence. */
const stream = { customers: 1, terminals: 2, customerDraws: 3, customerTerminalChoice: 4, terminalCompromise: 5, customerCompromise: 6, customerCompromiseSample: 7 } as const
const streamOf = (kind: number, index = 0) => kind * 0x100_0000 + index

/** Poisson by multiplication of uniforms (Knuth): exact, and fast for the handbook's means under 4. */
function poisson(rng: Random, mean: number): number {
  const limit = Math.exp(-mean)
  let k = 0
  let p = rng.next()
  while (p > limit) {
    k++
    p *= rng.next()
  }
  return k
}

export function generateCustomerProfiles(config: SimulatorConfig): CustomerProfiles {
  const n = config.customers
  const rng = new Random(config.seed, streamOf(stream.customers))
  const profiles: CustomerProfiles = {
    x: new Float64Array(n),
    y: new Float64Array(n),
    meanAmount: new Float64Array(n),
    stdAmount: new Float64Array(n),
    meanTxPerDay: new Float64Array(n),
    terminals: [],
  }
  for (let c = 0; c < n; c++) {
    profiles.x[c] = rng.float(0, 100)
    profiles.y[c] = rng.float(0, 100)
    const mean = rng.float(5, 100)
    profiles.meanAmount[c] = mean
    profiles.stdAmount[c] = mean / 2
    profiles.meanTxPerDay[c] = rng.float(0, 4)
  }
  return profiles
}

export function generateTerminalProfiles(config: SimulatorConfig): TerminalProfiles {
  const n = config.terminals
  const rng = new Random(config.seed, streamOf(stream.terminals))
  const x = new Float64Array(n)
  const y = new Float64Array(n)
  for (let t = 0; t < n; t++) {
    x[t] = rng.float(0, 100)
    y[t] = rng.float(0, 100)
  }
  return { x, y }
}

/** `get_list_terminals_within_radius`: terminals strictly closer than r, in index order. */
export function terminalsWithinRadius(customers: CustomerProfiles, terminals: TerminalProfiles, radius: number): Int32Array[] {
  const lists: Int32Array[] = []
  const found: number[] = []
  for (let c = 0; c < customers.x.length; c++) {
    found.length = 0
    const cx = customers.x[c]!
    const cy = customers.y[c]!
    for (let t = 0; t < terminals.x.length; t++) {
      const dx = cx - terminals.x[t]!
      const dy = cy - terminals.y[t]!
      if (Math.sqrt(dx * dx + dy * dy) < radius) found.push(t)
    }
    lists.push(Int32Array.from(found))
  }
  return lists
}

/** Growable columns for the generation pass, before the time sort. */
class Columns {
  length = 0
  seconds = new Int32Array(1 << 16)
  customer = new Int32Array(1 << 16)
  terminal = new Int32Array(1 << 16)
  amountCents = new Int32Array(1 << 16)

  push(seconds: number, customer: number, terminal: number, amountCents: number): void {
    if (this.length === this.seconds.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2)
        b.set(a)
        return b
      }
      this.seconds = grow(this.seconds)
      this.customer = grow(this.customer)
      this.terminal = grow(this.terminal)
      this.amountCents = grow(this.amountCents)
    }
    const i = this.length++
    this.seconds[i] = seconds
    this.customer[i] = customer
    this.terminal[i] = terminal
    this.amountCents[i] = amountCents
  }
}

/** `generate_transactions_table`, for every customer, then sorted by time as the handbook sorts. */
export function generateTransactions(config: SimulatorConfig, customers: CustomerProfiles): SimulatedTransactions {
  const columns = new Columns()
  for (let c = 0; c < config.customers; c++) {
    // The handbook seeds numpy (counts, times, amounts) and `random` (the terminal) with the customer id.
    const draws = new Random(config.seed, streamOf(stream.customerDraws, c))
    const choice = new Random(config.seed, streamOf(stream.customerTerminalChoice, c))
    const mean = customers.meanAmount[c]!
    const sd = customers.stdAmount[c]!
    const available = customers.terminals[c]!
    for (let day = 0; day < config.days; day++) {
      const count = poisson(draws, customers.meanTxPerDay[c]!)
      for (let k = 0; k < count; k++) {
        const time = Math.trunc(draws.normal(timeMean, timeSd))
        if (!(time > 0 && time < secondsPerDay)) continue
        let amount = draws.normal(mean, sd)
        if (amount < 0) amount = draws.float(0, mean * 2)
        const cents = Math.round(amount * 100)
        // As in the handbook, the amount is drawn before a customer without terminals is skipped.
        if (available.length > 0) columns.push(time + day * secondsPerDay, c, available[Math.floor(choice.next() * available.length)]!, cents)
      }
    }
  }
  return sortByTime(columns)
}

/**
 * `sort_values('TX_DATETIME')`. pandas' default sort is not stable, so the handbook's order among
 * transactions in the same second is arbitrary; here it is the generation order (customer, then
 * draw), so the table is deterministic.
 */
function sortByTime(columns: Columns): SimulatedTransactions {
  const n = columns.length
  // seconds × n + generation index stays below 2^53 for any realistic table (2.8e13 for the handbook's).
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) keys[i] = columns.seconds[i]! * n + i
  keys.sort()
  const out: SimulatedTransactions = {
    count: n,
    seconds: new Int32Array(n),
    day: new Int32Array(n),
    customer: new Int32Array(n),
    terminal: new Int32Array(n),
    amountCents: new Int32Array(n),
    fraud: new Uint8Array(n),
    scenario: new Uint8Array(n),
  }
  for (let j = 0; j < n; j++) {
    const i = keys[j]! % n
    const seconds = columns.seconds[i]!
    out.seconds[j] = seconds
    out.day[j] = Math.floor(seconds / secondsPerDay)
    out.customer[j] = columns.customer[i]!
    out.terminal[j] = columns.terminal[i]!
    out.amountCents[j] = columns.amountCents[i]!
  }
  return out
}

/** Transaction indices grouped by an entity column (CSR): `at(e)` lists entity e's, in time order. */
function groupBy(column: Int32Array, entities: number): { start: Int32Array; items: Int32Array } {
  const start = new Int32Array(entities + 1)
  for (const e of column) start[e + 1]!++
  for (let e = 0; e < entities; e++) start[e + 1]! += start[e]!
  const fill = start.slice(0, entities)
  const items = new Int32Array(column.length)
  for (let i = 0; i < column.length; i++) items[fill[column[i]!]!++] = i
  return { start, items }
}

/** `add_frauds`: the three scenarios, in the handbook's order, labelling `txns` in place. */
export function addFrauds(config: SimulatorConfig, txns: SimulatedTransactions): { byScenario: { 1: number; 2: number; 3: number }; compromised: Compromised } {
  const compromised: Compromised = { terminals: [], customers: [] }
  const { fraud, scenario, amountCents, day } = txns
  let frauds = 0
  for (let i = 0; i < txns.count; i++) {
    if (amountCents[i]! > scenarios.amountThresholdCents) {
      fraud[i] = 1
      scenario[i] = 1
      frauds++
    }
  }
  const afterScenario1 = frauds

  // `range(transactions_df.TX_TIME_DAYS.max())`: every day but the last one with a transaction.
  let lastDay = 0
  for (let i = 0; i < txns.count; i++) lastDay = Math.max(lastDay, day[i]!)

  const byTerminal = groupBy(txns.terminal, config.terminals)
  const terminalIds = range(config.terminals)
  for (let d = 0; d < lastDay; d++) {
    const drawn = new Random(config.seed, streamOf(stream.terminalCompromise, d)).sample(terminalIds, scenarios.compromisedTerminalsPerDay)
    compromised.terminals.push(drawn)
    for (const t of drawn) {
      for (let k = byTerminal.start[t]!; k < byTerminal.start[t + 1]!; k++) {
        const i = byTerminal.items[k]!
        if (day[i]! < d || day[i]! >= d + scenarios.terminalCompromiseDays) continue
        if (fraud[i] === 0) frauds++
        fraud[i] = 1
        scenario[i] = 2
      }
    }
  }
  const afterScenario2 = frauds

  const byCustomer = groupBy(txns.customer, config.customers)
  const customerIds = range(config.customers)
  for (let d = 0; d < lastDay; d++) {
    const drawn = new Random(config.seed, streamOf(stream.customerCompromise, d)).sample(customerIds, scenarios.compromisedCustomersPerDay)
    compromised.customers.push(drawn)
    // The handbook filters the table (in time order) for these customers' transactions in the window.
    const candidates: number[] = []
    for (const c of drawn) {
      for (let k = byCustomer.start[c]!; k < byCustomer.start[c + 1]!; k++) {
        const i = byCustomer.items[k]!
        if (day[i]! >= d && day[i]! < d + scenarios.customerCompromiseDays) candidates.push(i)
      }
    }
    candidates.sort((a, b) => a - b)
    const chosen = new Random(config.seed, streamOf(stream.customerCompromiseSample, d)).sample(candidates, Math.floor(candidates.length / 3))
    for (const i of chosen) {
      amountCents[i] = amountCents[i]! * scenarios.amountMultiplier
      if (fraud[i] === 0) frauds++
      fraud[i] = 1
      scenario[i] = 3
    }
  }
  return { byScenario: { 1: afterScenario1, 2: afterScenario2 - afterScenario1, 3: frauds - afterScenario2 }, compromised }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** The whole handbook pipeline: profiles, terminals within the radius, transactions, frauds. */
export function simulate(config: SimulatorConfig = handbookConfig): SimulatedDataset {
  const customers = generateCustomerProfiles(config)
  const terminals = generateTerminalProfiles(config)
  customers.terminals = terminalsWithinRadius(customers, terminals, config.radius)
  const transactions = generateTransactions(config, customers)
  const { byScenario, compromised } = addFrauds(config, transactions)
  return { config, customers, terminals, transactions, fraudsByScenario: byScenario, frauds: byScenario[1] + byScenario[2] + byScenario[3], compromised }
}

/** P(0 < trunc(N(noon, 20,000 s)) < 86,400): the share of drawn transaction times the handbook keeps. */
export function keptTimeShare(): number {
  // trunc(v) > 0 ⇔ v ≥ 1; trunc(v) < 86,400 ⇔ v < 86,400.
  return normalCdf((secondsPerDay - timeMean) / timeSd) - normalCdf((1 - timeMean) / timeSd)
}

/**
 * The transaction count the process gives, and its spread across seeds. Given the profiles, the
 * count is Poisson with mean Σ_c λ_c × days × kept share (customers with a terminal); across seeds
 * the rates λ_c ~ U(0, 4) move it too: Var = n × days² × kept² × Var(U(0, 4)) + mean. The published
 * count is one draw of the process and ours another, so the two differ by about √2 × sd.
 */
export function expectedTransactionSpread(config: SimulatorConfig): { mean: number; sd: number } {
  const kept = keptTimeShare()
  const mean = config.customers * 2 * config.days * kept
  const rateVariance = 16 / 12
  const variance = config.customers * (config.days * kept) ** 2 * rateVariance + mean
  return { mean, sd: Math.sqrt(variance) }
}

/**
 * The fraud count's spread across seeds, relative to its mean: 1.31% (sd 195 around 14,863), measured
 * over seeds 0–29 of the handbook configuration (the transaction count's spread over the same seeds,
 * 0.80%, matches the model above, 0.82%). Scenario 2 dominates it: which terminals are drawn, and
 * how busy they are, is not smoothed by 5,000 customers.
 */
export const fraudCountRelativeSd = 0.0131

/** Σ_c λ_c × days × kept share over customers with at least one terminal: the mean count given these profiles. */
export function expectedTransactionsGivenProfiles(config: SimulatorConfig, customers: CustomerProfiles): number {
  const kept = keptTimeShare()
  let rate = 0
  for (let c = 0; c < config.customers; c++) if (customers.terminals[c]!.length > 0) rate += customers.meanTxPerDay[c]!
  return rate * config.days * kept
}

/** Φ by the complementary error function (Numerical Recipes' erfc, |error| < 1.2e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.5 * x)
  const erfc =
    t *
    Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
  return z >= 0 ? 1 - erfc / 2 : erfc / 2
}

import type { Channel, WireTransaction } from '../../functions/core/transaction.ts'
import { distanceKm } from './cities.ts'
import { corrupt, type Defect } from './defects.ts'
import { createPopulation, type Cardholder, type Device, type Merchant, type Population } from './population.ts'
import { Random } from './random.ts'

export const scenarioNames = [
  'card_testing',
  'account_takeover',
  'impossible_travel',
  'spend_spike',
  'compromised_merchant',
  'risky_mcc_night',
] as const
export type ScenarioName = (typeof scenarioNames)[number]

export interface TrafficOptions {
  /** Everything (population, times, ids) follows from it; an integer, used as is in transaction ids. */
  seed: number
  /** Event time of the stream's start; the generator never reads the clock. */
  start: Date
  /** Stop after this many events (of every kind). */
  count?: number
  /** Stop at start + durationMs of event time. With neither limit the stream is endless. */
  durationMs?: number
  /** Mean events per second of event time, over a day (the daily rhythm modulates it). Default: three transactions a card a day. */
  ratePerSecond?: number
  /** Cardholders (one card and one account each). Default 10,000. Ignored when `population` is given. */
  cards?: number
  /** Share of valid transactions that belong to fraud episodes. Default 0.01. */
  fraudShare?: number
  /** Share of all events that are malformed lines. Default 0.005. */
  malformedShare?: number
  /** Share of all events that repeat an earlier valid line (producer retries). Default 0.005. */
  duplicateShare?: number
  /** Share of valid transactions that arrive after a later one (a few seconds to minutes late). Default 0.01. */
  outOfOrderShare?: number
  /** Relative weights of the fraud scenarios; a scenario weighted 0 never occurs. */
  scenarioWeights?: Partial<Record<ScenarioName, number>>
  /** A population built beforehand with `createPopulation` (to reuse it across runs). */
  population?: Population
}

interface TransactionEventBase {
  line: string
  /** Equal to `JSON.parse(line)`; its card, merchant, device and location objects are shared and frozen. */
  transaction: WireTransaction
  fraud: boolean
  /** The fraud scenario, on every event of an episode. */
  scenario?: ScenarioName
  /** The episode's number (1, 2, …), shared by its events. */
  episode?: number
}

/** A well-formed transaction, first time on the stream. */
export interface ValidEvent extends TransactionEventBase {
  kind: 'valid'
}

/** A verbatim repeat of an earlier valid line (a producer retry): same transaction, same label. */
export interface DuplicateEvent extends TransactionEventBase {
  kind: 'duplicate'
}

/** A line a buggy producer wrote: not a transaction the pipeline may accept. */
export interface MalformedEvent {
  kind: 'malformed'
  line: string
  fraud: false
  defect: Defect
  transaction?: undefined
  scenario?: undefined
  episode?: undefined
}

export type TrafficEvent = ValidEvent | DuplicateEvent | MalformedEvent

const second = 1_000
const minute = 60_000
const hour = 3_600_000
const day = 86_400_000
const slotMs = 15 * minute
const slotsPerDay = day / slotMs

/** Relative activity by local hour: quiet nights, a lunch peak, a higher early-evening peak. */
const hourlyActivity = [
  0.12, 0.07, 0.04, 0.03, 0.03, 0.06, 0.2, 0.45, 0.75, 0.9, 1, 1.1, 1.35, 1.25, 1.05, 1, 1.1, 1.3, 1.45, 1.35, 1.1, 0.8, 0.5, 0.25,
] as const

const defaultScenarioWeights: Record<ScenarioName, number> = {
  card_testing: 3,
  account_takeover: 2,
  impossible_travel: 1.5,
  spend_spike: 1.5,
  compromised_merchant: 1,
  risky_mcc_night: 1.5,
}

/** Card-testing amounts: the classic probes, then anything up to 2.00. */
const probeAmounts = [1, 100, 50, 99, 150, 200, 10, 25] as const

/** Attackers' addresses (documentation ranges); card testers rotate through a small pool. */
const testerIps = ['203.0.113.17', '203.0.113.44', '203.0.113.91', '198.51.100.23', '198.51.100.66', '198.51.100.130'] as const

/** History a card needs before a spend spike (the spend-spike rule wants 5 in 30 days). */
const spikeHistory = 5

interface Built {
  transaction: WireTransaction
  line: string
}

const twoDigits = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'))
const threeDigits = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))

interface Scheduled {
  at: number
  seq: number
  event: ValidEvent
  card: number
}

/** A binary min-heap on (at, seq): episode events waiting for their event time. */
class Schedule {
  private items: Scheduled[] = []

  get size(): number {
    return this.items.length
  }

  peekAt(): number {
    return this.items[0]?.at ?? Infinity
  }

  push(item: Scheduled): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(item, items[parent]!)) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = item
  }

  pop(): Scheduled {
    const items = this.items
    const top = items[0]!
    const last = items.pop()!
    if (items.length > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= items.length) break
        const right = left + 1
        const child = right < items.length && before(items[right]!, items[left]!) ? right : left
        if (!before(items[child]!, last)) break
        items[i] = items[child]!
        i = child
      }
      items[i] = last
    }
    return top
  }
}

const before = (a: Scheduled, b: Scheduled): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

interface Resolved {
  seed: number
  start: number
  count: number
  end: number
  rate: number
  fraudShare: number
  malformedShare: number
  duplicateShare: number
  outOfOrderShare: number
  scenarioWeights: number[]
  population: Population
}

function share(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!(v >= 0 && v < 1)) throw new RangeError(`${name} must be in [0, 1), not ${v}`)
  return v
}

function resolve(options: TrafficOptions): Resolved {
  const { seed } = options
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, not ${seed}`)
  const start = options.start.getTime()
  if (!Number.isFinite(start)) throw new RangeError('start must be a valid Date')
  const count = options.count ?? Infinity
  if (!(count >= 0)) throw new RangeError(`count must be non-negative, not ${count}`)
  const duration = options.durationMs ?? Infinity
  if (!(duration >= 0)) throw new RangeError(`durationMs must be non-negative, not ${duration}`)
  const population = options.population ?? createPopulation({ seed, cards: options.cards ?? 10_000 })
  const rate = options.ratePerSecond ?? (population.cardholders.length * 3) / 86_400
  if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError(`ratePerSecond must be positive, not ${rate}`)
  const malformedShare = share('malformedShare', options.malformedShare, 0.005)
  const duplicateShare = share('duplicateShare', options.duplicateShare, 0.005)
  if (malformedShare + duplicateShare >= 1) throw new RangeError('malformedShare + duplicateShare must be below 1')
  const weights = { ...defaultScenarioWeights, ...options.scenarioWeights }
  const scenarioWeights = scenarioNames.map((name) => {
    const w = weights[name]
    if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`scenario weight of ${name} must be non-negative, not ${w}`)
    return w
  })
  const fraudShare = share('fraudShare', options.fraudShare, 0.01)
  if (fraudShare > 0 && !scenarioWeights.some((w) => w > 0)) throw new RangeError('fraudShare > 0 needs a scenario with a positive weight')
  return {
    seed,
    start,
    count,
    end: start + duration,
    rate,
    fraudShare,
    malformedShare,
    duplicateShare,
    outOfOrderShare: share('outOfOrderShare', options.outOfOrderShare, 0.01),
    scenarioWeights,
    population,
  }
}

/**
 * Synthetic card traffic, in event-time order: ordinary purchases following each city's daily
 * rhythm, fraud episodes of the named scenarios, producer bugs (malformed lines, retried
 * duplicates, late arrivals). Pure: the same options give the same events. Options are checked
 * (RangeError) and the population built when called, the events made as they are pulled.
 */
export function generateTraffic(options: TrafficOptions): Generator<TrafficEvent, void, undefined> {
  const o = resolve(options)
  return run(o, new Engine(o))
}

function* run(o: Resolved, engine: Engine): Generator<TrafficEvent, void, undefined> {
  const { count, end } = o
  if (count === 0) return
  // Per normal step: a malformed line, a duplicate, or an ordinary transaction, chosen so that
  // the shares of all events come out as asked once the fraud episodes are added.
  const normalShare = (1 - o.fraudShare) * (1 - o.malformedShare - o.duplicateShare)
  const steps = normalShare + o.malformedShare + o.duplicateShare
  const pMalformed = o.malformedShare / steps
  const pDuplicate = o.duplicateShare / steps
  const stepRate = (o.rate * steps) / (steps + o.fraudShare * (1 - o.malformedShare - o.duplicateShare))
  const meanGap = second / stepRate
  let emitted = 0
  let t = o.start
  for (;;) {
    t += engine.gap(t, meanGap)
    if (t >= end) {
      while (engine.schedule.size > 0 && engine.schedule.peekAt() < end) {
        yield engine.deliverScheduled()
        if (++emitted >= count) return
      }
      return
    }
    while (engine.schedule.size > 0 && engine.schedule.peekAt() <= t) {
      yield engine.deliverScheduled()
      if (++emitted >= count) return
    }
    const r = engine.rng.next()
    let event: TrafficEvent
    if (r < pMalformed) event = engine.malformed(t)
    else if (r < pMalformed + pDuplicate && engine.hasRecent()) event = engine.duplicate()
    else event = engine.normal(t)
    yield event
    if (++emitted >= count) return
    if (event.kind === 'valid') engine.maybeStartEpisode(t)
  }
}

class Engine {
  readonly rng: Random
  readonly schedule = new Schedule()
  private readonly o: Resolved
  private readonly pop: Population
  private readonly idPrefix: string
  private nextId = 0
  private seq = 0
  private episodes = 0
  private debt = 0
  private readonly fraudPerNormal: number
  private readonly delayShare: number
  /** Per slot of the UTC day: rate multiplier, and cumulative weights of the cities' activity. */
  private readonly slotRate: Float64Array
  private readonly slotCities: Float64Array[]
  private readonly cards: { pan: string }[]
  /** Line fragments: `"card":{…},"accountId":"…"` per card, `,"merchant":{…}` and `,"location":{…}` per merchant. */
  private readonly cardJson: string[]
  private readonly merchantJson: string[]
  private readonly locationJson: string[]
  private readonly offsetMs: number[]
  private readonly dayOf: number[]
  private readonly dayPrefix: string[]
  private readonly cardCount: Int32Array
  private readonly cardSum: Float64Array
  private readonly cardLast: Float64Array
  private readonly seasoned: number[] = []
  private readonly recent: ValidEvent[] = []
  private recentNext = 0
  private lastEmitted = -Infinity
  private readonly populatedCities: number[]
  private readonly cityCumulative: Float64Array

  constructor(o: Resolved) {
    this.o = o
    this.pop = o.population
    this.rng = new Random(o.seed, 2)
    this.idPrefix = `tx-${o.seed}-`
    this.fraudPerNormal = o.fraudShare / (1 - o.fraudShare)
    this.delayShare = Math.min(1, o.outOfOrderShare / (1 - o.fraudShare))
    const n = this.pop.cardholders.length
    this.cards = this.pop.cardholders.map((h) => Object.freeze({ pan: h.pan }))
    this.cardJson = this.pop.cardholders.map((h) => `"card":${JSON.stringify({ pan: h.pan })},"accountId":${JSON.stringify(h.accountId)}`)
    this.merchantJson = this.pop.merchants.map((m) => `,"merchant":${JSON.stringify(m.wire)}`)
    this.locationJson = this.pop.merchants.map((m) => (m.location === undefined ? '' : `,"location":${JSON.stringify(m.location)}`))
    this.offsetMs = this.pop.cities.map((c) => c.utcOffsetMinutes * minute)
    this.dayOf = this.pop.cities.map(() => Number.NaN)
    this.dayPrefix = this.pop.cities.map(() => '')
    this.cardCount = new Int32Array(n)
    this.cardSum = new Float64Array(n)
    this.cardLast = new Float64Array(n).fill(-Infinity)
    this.populatedCities = this.pop.byCity.flatMap((holders, ci) => (holders.length > 0 ? [ci] : []))
    this.cityCumulative = new Float64Array(this.pop.byCity.length)
    let total = 0
    this.pop.byCity.forEach((holders, ci) => {
      total += holders.length
      this.cityCumulative[ci] = total
    })

    this.slotRate = new Float64Array(slotsPerDay)
    this.slotCities = []
    for (let s = 0; s < slotsPerDay; s++) {
      const cumulative = new Float64Array(this.pop.cities.length)
      let sum = 0
      this.pop.cities.forEach((city, ci) => {
        const localMinute = (((s * 15 + 7.5 + city.utcOffsetMinutes) % 1440) + 1440) % 1440
        sum += this.pop.byCity[ci]!.length * hourlyActivity[Math.floor(localMinute / 60)]!
        cumulative[ci] = sum
      })
      this.slotCities.push(cumulative)
      this.slotRate[s] = sum
    }
    const mean = this.slotRate.reduce((a, b) => a + b, 0) / slotsPerDay
    for (let s = 0; s < slotsPerDay; s++) this.slotRate[s] = this.slotRate[s]! / mean
  }

  private slot(t: number): number {
    return Math.floor((((t % day) + day) % day) / slotMs)
  }

  /** Time to the next ordinary event: exponential, at the rate of this time of day. */
  gap(t: number, meanGap: number): number {
    return this.rng.exponential(meanGap / this.slotRate[this.slot(t)]!)
  }

  hasRecent(): boolean {
    return this.recent.length > 0
  }

  // ---------------------------------------------------------------- delivery

  private record(event: ValidEvent, card: number, time: number): ValidEvent {
    const count = ++this.cardCount[card]!
    this.cardSum[card]! += event.transaction.amount
    if (time > this.cardLast[card]!) this.cardLast[card] = time
    if (count === spikeHistory) this.seasoned.push(card)
    if (time > this.lastEmitted) this.lastEmitted = time
    if (this.recent.length < 64) this.recent.push(event)
    else {
      this.recent[this.recentNext] = event
      this.recentNext = (this.recentNext + 1) % 64
    }
    return event
  }

  deliverScheduled(): ValidEvent {
    const next = this.schedule.pop()
    return this.record(next.event, next.card, next.at)
  }

  duplicate(): DuplicateEvent {
    const original = this.rng.pick(this.recent)
    return { ...original, kind: 'duplicate' }
  }

  // ---------------------------------------------------------------- building blocks

  private id(): string {
    return this.idPrefix + this.nextId++
  }

  /** `occurredAt` in the city's zone, e.g. `2026-11-24T10:15:30.123+01:00`, formatted without a Date per call. */
  private timestamp(time: number, city: number): string {
    const local = Math.floor(time) + this.offsetMs[city]!
    const dayIndex = Math.floor(local / day)
    let prefix = this.dayPrefix[city]!
    if (dayIndex !== this.dayOf[city]) {
      prefix = new Date(dayIndex * day).toISOString().slice(0, 11)
      this.dayPrefix[city] = prefix
      this.dayOf[city] = dayIndex
    }
    let rest = local - dayIndex * day
    const h = Math.floor(rest / hour)
    rest -= h * hour
    const m = Math.floor(rest / minute)
    rest -= m * minute
    const s = Math.floor(rest / second)
    rest -= s * second
    return prefix + twoDigits[h]! + ':' + twoDigits[m]! + ':' + twoDigits[s]! + '.' + threeDigits[rest]! + this.pop.offsets[city]!
  }

  /**
   * A transaction and its JSON line. The line is assembled from fragments prepared per card and
   * merchant (every value is a number or a string that needs no escaping), in the key order
   * `JSON.stringify(transaction)` would use, and equal to it.
   */
  private transaction(
    time: number,
    zoneCity: number,
    card: number,
    merchant: Merchant,
    amount: number,
    currency: string,
    channel: Channel,
    device?: Device,
    located = false,
  ): Built {
    const transactionId = this.id()
    const occurredAt = this.timestamp(time, zoneCity)
    const transaction: WireTransaction = {
      transactionId,
      occurredAt,
      amount,
      currency,
      card: this.cards[card]!,
      accountId: this.pop.cardholders[card]!.accountId,
      merchant: merchant.wire,
      channel,
    }
    // One join, not `+`: a flat string, where concatenation would leave a rope that the consumer's
    // first JSON.parse has to flatten (about a microsecond a line, inside whatever it measures).
    const parts = [
      '{"transactionId":"', transactionId, '","occurredAt":"', occurredAt, '","amount":', amount, ',"currency":"', currency, '",',
      this.cardJson[card]!, this.merchantJson[merchant.index]!, ',"channel":"', channel, '"',
    ]
    if (device !== undefined) {
      transaction.device = device
      parts.push(',"device":{"id":"', device.id, '","ip":"', device.ip, '"}')
    }
    if (located && merchant.location !== undefined) {
      transaction.location = merchant.location
      parts.push(this.locationJson[merchant.index]!)
    }
    parts.push('}')
    return { transaction, line: parts.join('') }
  }

  private holder(card: number): Cardholder {
    return this.pop.cardholders[card]!
  }

  private merchant(index: number): Merchant {
    return this.pop.merchants[index]!
  }

  private currencyOf(city: number): string {
    return this.pop.cities[city]!.currency
  }

  /** Amount in the home currency's minor units for a spend of `euroCents`. */
  private amountIn(city: number, euroCents: number): number {
    return Math.max(1, Math.round(euroCents * this.pop.cities[city]!.minorPerEuroCent))
  }

  /** A cardholder active at `t`: a city by its share of activity now, then (skewed) one of its people. */
  private activeCardholder(t: number): number {
    const ci = this.rng.cumulativeIndex(this.slotCities[this.slot(t)]!)
    const holders = this.pop.byCity[ci]!
    // Some people use their card much more than others: u^1.3 favours the first of the city.
    return holders[Math.floor(holders.length * this.rng.next() ** 1.3)]!
  }

  private anyCardholder(): number {
    return this.rng.int(0, this.pop.cardholders.length - 1)
  }

  /** A card not used in the last `quiet` ms (if one turns up in a few draws): stolen card data, not the cardholder at the till. */
  private quietCardholder(t: number, quiet: number): number {
    let card = this.anyCardholder()
    for (let tries = 0; tries < 8 && this.cardLast[card]! > t - quiet; tries++) card = this.anyCardholder()
    return card
  }

  private newDevice(ip: string): Device {
    return Object.freeze({ id: `dev-${this.rng.hex(10)}`, ip })
  }

  private attackerIp(): string {
    return `${this.rng.chance(0.5) ? '203.0.113' : '198.51.100'}.${this.rng.int(1, 254)}`
  }

  /** An everyday purchase of the cardholder at `t`, in their city or online. */
  private ordinary(t: number, card: number): Built {
    const rng = this.rng
    const h = this.holder(card)
    const city = h.city
    const r = rng.next()
    if (r < 0.07) {
      const atm = this.merchant(rng.pick(this.pop.merchantsByCity[city]!.atm))
      const amount = this.amountIn(city, rng.pick([2000, 4000, 5000, 5000, 10000, 10000, 20000]))
      const rounded = Math.max(1000, Math.round(amount / 1000) * 1000)
      return this.transaction(t, city, card, atm, rounded, this.currencyOf(city), 'atm', undefined, true)
    }
    if (r < 0.35) {
      const online = this.pop.online
      const m = this.merchant(
        h.favouriteOnline.length > 0 && rng.chance(0.8) ? rng.pick(h.favouriteOnline) : online.everyday[rng.cumulativeIndex(online.everydayCumulative)]!,
      )
      const amount = Math.max(1, Math.round(h.typicalAmount * m.amountFactor * rng.lognormal(0, 0.45)))
      if (rng.chance(0.04)) return this.transaction(t, city, card, m, amount, this.currencyOf(city), 'moto')
      return this.transaction(t, city, card, m, amount, this.currencyOf(city), 'ecommerce', rng.pick(h.devices))
    }
    const shops = this.pop.merchantsByCity[city]!
    const m = this.merchant(rng.chance(0.85) ? rng.pick(h.favouriteLocal) : shops.local[rng.cumulativeIndex(shops.localCumulative)]!)
    const amount = Math.max(1, Math.round(h.typicalAmount * m.amountFactor * rng.lognormal(0, 0.45)))
    return this.transaction(t, city, card, m, amount, this.currencyOf(city), 'card_present', undefined, true)
  }

  normal(t: number): ValidEvent {
    const card = this.activeCardholder(t)
    let time = t
    // A late arrival: it happened a few seconds to minutes ago, before the last event out.
    if (this.lastEmitted > -Infinity && this.rng.chance(this.delayShare)) {
      const late = Math.min(10 * minute, 2 * second + this.rng.exponential(40 * second))
      time = Math.max(this.o.start, Math.min(t - late, this.lastEmitted - this.rng.int(1, 5 * second)))
    }
    const { transaction, line } = this.ordinary(time, card)
    return this.record({ kind: 'valid', line, transaction, fraud: false }, card, time)
  }

  malformed(t: number): MalformedEvent {
    const { transaction } = this.ordinary(t, this.activeCardholder(t))
    const { defect, line } = corrupt(transaction, this.rng)
    return { kind: 'malformed', line, fraud: false, defect }
  }

  // ---------------------------------------------------------------- fraud episodes

  maybeStartEpisode(t: number): void {
    this.debt += this.fraudPerNormal
    if (this.debt < 1 || !this.rng.chance(0.35)) return
    let scenario = this.rng.weighted(scenarioNames, this.o.scenarioWeights)
    if (scenario === 'spend_spike' && this.seasoned.length === 0) {
      // No card has history yet: another scenario instead.
      const weights = this.o.scenarioWeights.map((w, i) => (scenarioNames[i] === 'spend_spike' ? 0 : w))
      if (!weights.some((w) => w > 0)) return
      scenario = this.rng.weighted(scenarioNames, weights)
    }
    const episode = ++this.episodes
    const events: Scheduled[] = []
    const add = (time: number, card: number, { transaction, line }: Built): void => {
      const event: ValidEvent = { kind: 'valid', line, transaction, fraud: true, scenario, episode }
      events.push({ at: time, seq: this.seq++, event, card })
    }
    switch (scenario) {
      case 'card_testing':
        this.cardTesting(t, add)
        break
      case 'account_takeover':
        this.accountTakeover(t, add)
        break
      case 'impossible_travel':
        this.impossibleTravel(t, add)
        break
      case 'spend_spike':
        this.spendSpike(t, add)
        break
      case 'compromised_merchant':
        this.compromisedMerchant(t, add)
        break
      case 'risky_mcc_night':
        this.riskyMccNight(t, add)
        break
    }
    for (const e of events) this.schedule.push(e)
    this.debt -= events.length
  }

  /** 4–8 probes of at most 2.00 at distinct small-ticket online shops, seconds apart, from a tester's bot. */
  private cardTesting(t: number, add: Add): void {
    const rng = this.rng
    const card = this.quietCardholder(t, 20 * minute)
    const h = this.holder(card)
    const online = this.pop.online
    const n = rng.int(4, 8)
    const pool = online.smallTicket.length >= n ? online.smallTicket : online.everyday
    const shops = rng.sample(pool, n)
    const device = this.newDevice(rng.pick(testerIps))
    let time = t + rng.int(1 * second, 60 * second)
    for (const m of shops) {
      const amount = rng.chance(0.6) ? rng.pick(probeAmounts) : rng.int(1, 200)
      add(time, card, this.transaction(time, h.city, card, this.merchant(m), amount, this.currencyOf(h.city), 'ecommerce', device))
      time += rng.int(8 * second, 50 * second)
    }
  }

  /** A new device on a new IP spends 500.00 or more online on someone's account, then maybe again. */
  private accountTakeover(t: number, add: Add): void {
    const rng = this.rng
    const card = this.anyCardholder()
    const h = this.holder(card)
    const device = this.newDevice(this.attackerIp())
    const online = this.pop.online
    const transfer = online.risky.filter((m) => this.merchant(m).mcc === '4829')
    let time = t + rng.int(1 * second, 2 * minute)
    for (let k = 0, n = rng.int(1, 3); k < n; k++) {
      const shop = this.merchant(k === 0 && transfer.length > 0 && rng.chance(0.25) ? rng.pick(transfer) : rng.pick(online.highValue))
      const euroCents = k === 0 ? rng.lognormal(Math.log(110_000), 0.4) : rng.lognormal(Math.log(60_000), 0.5)
      const amount = k === 0 ? Math.max(50_000 + rng.int(0, 5_000), this.amountIn(h.city, euroCents)) : this.amountIn(h.city, euroCents)
      add(time, card, this.transaction(time, h.city, card, shop, amount, this.currencyOf(h.city), 'ecommerce', device))
      time += rng.int(2 * minute, 20 * minute)
    }
  }

  /** A purchase at home, then 40–90 minutes later one (or two) in a city too far to have flown to. */
  private impossibleTravel(t: number, add: Add): void {
    const rng = this.rng
    const card = this.anyCardholder()
    const h = this.holder(card)
    const home = this.merchant(rng.pick(h.favouriteLocal))
    const homeTime = t + rng.int(1 * second, 60 * second)
    const homeAmount = Math.max(1, Math.round(h.typicalAmount * home.amountFactor * rng.lognormal(0, 0.45)))
    add(homeTime, card, this.transaction(homeTime, h.city, card, home, homeAmount, this.currencyOf(h.city), 'card_present', undefined, true))

    const gap = rng.int(40 * minute, 90 * minute)
    const from = home.location!
    // Over 1,500 km/h from the shop at home: far beyond an airliner, whatever the jitter.
    const far = this.pop.cities.flatMap((c, ci) => (ci !== h.city && distanceKm(from.lat, from.lon, c.lat, c.lon) > Math.max(1_000, (1_500 * gap) / hour) + 50 ? [ci] : []))
    const city = rng.pick(far)
    const shops = this.pop.merchantsByCity[city]!
    let time = homeTime + gap
    for (let k = 0, n = rng.chance(0.5) ? 2 : 1; k < n; k++) {
      const shop = this.merchant(rng.chance(0.6) ? rng.pick(shops.highValue) : shops.local[rng.cumulativeIndex(shops.localCumulative)]!)
      const amount = this.amountIn(city, rng.lognormal(Math.log(25_000), 0.6))
      add(time, card, this.transaction(time, city, card, shop, amount, this.currencyOf(city), 'card_present', undefined, true))
      time += rng.int(5 * minute, 25 * minute)
    }
  }

  /** A card with history suddenly spends 16–30 times its typical (and average) amount. */
  private spendSpike(t: number, add: Add): void {
    const rng = this.rng
    const card = rng.pick(this.seasoned)
    const h = this.holder(card)
    const base = Math.max(h.typicalAmount, this.cardSum[card]! / this.cardCount[card]!)
    let time = t + rng.int(1 * second, 30 * second)
    for (let k = 0, n = rng.chance(0.3) ? 2 : 1; k < n; k++) {
      const amount = Math.round(base * rng.float(16, 30))
      if (rng.chance(0.6)) {
        const shop = this.merchant(rng.pick(this.pop.merchantsByCity[h.city]!.highValue))
        add(time, card, this.transaction(time, h.city, card, shop, amount, this.currencyOf(h.city), 'card_present', undefined, true))
      } else {
        const shop = this.merchant(rng.pick(this.pop.online.highValue))
        add(time, card, this.transaction(time, h.city, card, shop, amount, this.currencyOf(h.city), 'ecommerce', rng.pick(h.devices)))
      }
      time += rng.int(3 * minute, 15 * minute)
    }
  }

  /**
   * Several cards pay at one shop within 40 minutes (a skimmer), then one to four hours later the
   * stolen cards are spent online from one fraudster's device.
   */
  private compromisedMerchant(t: number, add: Add): void {
    const rng = this.rng
    let city = rng.cumulativeIndex(this.cityCumulative)
    if (this.pop.byCity[city]!.length < 3) city = this.pop.byCity.reduce((best, holders, ci) => (holders.length > this.pop.byCity[best]!.length ? ci : best), 0)
    const shops = this.pop.merchantsByCity[city]!
    const everyday = shops.local.filter((m) => ['5541', '5411', '5812', '5999'].includes(this.merchant(m).mcc))
    const shop = this.merchant(rng.pick(everyday.length > 0 ? everyday : shops.local))
    const victims = rng.sample(this.pop.byCity[city]!, rng.int(3, 6))
    for (const card of victims) {
      const h = this.holder(card)
      const time = t + rng.int(1 * second, 40 * minute)
      const amount = Math.max(1, Math.round(h.typicalAmount * shop.amountFactor * rng.lognormal(0, 0.45)))
      add(time, card, this.transaction(time, city, card, shop, amount, this.currencyOf(city), 'card_present', undefined, true))
    }
    const attack = t + 40 * minute + rng.int(1 * hour, 3 * hour)
    const device = this.newDevice(this.attackerIp())
    for (const card of victims) {
      const h = this.holder(card)
      for (let k = 0, n = rng.int(1, 2); k < n; k++) {
        const time = attack + rng.int(0, 40 * minute)
        const amount = this.amountIn(h.city, rng.lognormal(Math.log(40_000), 0.5))
        add(time, card, this.transaction(time, h.city, card, this.merchant(rng.pick(this.pop.online.highValue)), amount, this.currencyOf(h.city), 'ecommerce', device))
      }
    }
  }

  /** Gambling, quasi-cash, transfers or top-ups online between 01:00 and 04:30 in the cardholder's city. */
  private riskyMccNight(t: number, add: Add): void {
    const rng = this.rng
    // The populated city where the night window (01:00–04:00 local) opens soonest; now if it is open.
    let best: number[] = []
    let bestWait = Infinity
    let bestMinute = 0
    for (const ci of this.populatedCities) {
      const localMinute = ((((t + this.pop.cities[ci]!.utcOffsetMinutes * minute) % day) + day) % day) / minute
      const wait = localMinute >= 60 && localMinute < 240 ? 0 : (60 - localMinute + 1440) % 1440
      if (wait < bestWait) {
        best = [ci]
        bestWait = wait
        bestMinute = localMinute
      } else if (wait === bestWait) best.push(ci)
    }
    const city = rng.pick(best)
    const localMinute = bestWait === 0 ? ((((t + this.pop.cities[city]!.utcOffsetMinutes * minute) % day) + day) % day) / minute : bestMinute
    const opening = bestWait === 0 ? t : t + bestWait * minute
    const room = bestWait === 0 ? Math.min(20, 240 - localMinute) : 180
    let time = opening + rng.int(1 * second, Math.max(1 * second, Math.floor(room * minute) - 1))
    const holders = this.pop.byCity[city]!
    const card = rng.pick(holders)
    const device = this.newDevice(this.attackerIp())
    for (let k = 0, n = rng.int(1, 3); k < n; k++) {
      const shop = this.merchant(rng.pick(this.pop.online.risky))
      const amount = Math.min(45_000, this.amountIn(city, rng.lognormal(Math.log(12_000), 0.6)))
      add(time, card, this.transaction(time, city, card, shop, amount, this.currencyOf(city), 'ecommerce', device))
      time += rng.int(3 * minute, 12 * minute)
    }
  }
}

type Add = (time: number, card: number, built: Built) => void

import { cities, offsetSuffix, type City } from './cities.ts'
import { Random } from './random.ts'

/** Risky merchant category codes, as in the default rule set's `risky_mcc` list. */
export const riskyMccs = ['4829', '6051', '6540', '7995'] as const

/** How a merchant is reached: in a shop, an ATM, or online. */
export type MerchantKind = 'local' | 'atm' | 'online'

/** A merchant category: its MCC, how much a purchase costs relative to a typical one, how common it is. */
interface Category {
  mcc: string
  label: string
  amountFactor: number
  weight: number
  risky?: boolean
  /** Small-ticket online shops (digital goods, donations) that card testers probe. */
  smallTicket?: boolean
  /** Where a fraudster cashes out: electronics, jewelry, travel, gift cards. */
  highValue?: boolean
}

const localCategories: readonly Category[] = [
  { mcc: '5411', label: 'grocery', amountFactor: 1.3, weight: 30 },
  { mcc: '5812', label: 'restaurant', amountFactor: 1.1, weight: 18 },
  { mcc: '5814', label: 'fast food', amountFactor: 0.35, weight: 12 },
  { mcc: '5541', label: 'fuel', amountFactor: 1.6, weight: 10 },
  { mcc: '4111', label: 'transit', amountFactor: 0.12, weight: 8 },
  { mcc: '5999', label: 'retail', amountFactor: 0.8, weight: 8 },
  { mcc: '5912', label: 'pharmacy', amountFactor: 0.5, weight: 6 },
  { mcc: '5651', label: 'clothing', amountFactor: 2, weight: 6 },
  { mcc: '5311', label: 'department store', amountFactor: 1.8, weight: 4 },
  { mcc: '5732', label: 'electronics', amountFactor: 4, weight: 3, highValue: true },
  { mcc: '7011', label: 'hotel', amountFactor: 5, weight: 2 },
  { mcc: '5944', label: 'jewelry', amountFactor: 6, weight: 1, highValue: true },
  { mcc: '7995', label: 'casino', amountFactor: 2, weight: 0.5, risky: true },
  { mcc: '6051', label: 'bureau de change', amountFactor: 3, weight: 0.5, risky: true },
  { mcc: '4829', label: 'money transfer', amountFactor: 3, weight: 0.5, risky: true },
]

const atmCategory: Category = { mcc: '6011', label: 'ATM', amountFactor: 1, weight: 0 }

const onlineCategories: readonly Category[] = [
  { mcc: '5999', label: 'marketplace', amountFactor: 1.2, weight: 20 },
  { mcc: '5691', label: 'fashion', amountFactor: 2, weight: 10 },
  { mcc: '4121', label: 'ride hailing', amountFactor: 0.6, weight: 10 },
  { mcc: '5968', label: 'subscription', amountFactor: 0.4, weight: 8 },
  { mcc: '5818', label: 'digital goods', amountFactor: 0.25, weight: 8, smallTicket: true },
  { mcc: '5815', label: 'digital media', amountFactor: 0.2, weight: 6, smallTicket: true },
  { mcc: '8398', label: 'charity', amountFactor: 0.5, weight: 3, smallTicket: true },
  { mcc: '5732', label: 'electronics', amountFactor: 4.5, weight: 5, highValue: true },
  { mcc: '4722', label: 'travel agency', amountFactor: 8, weight: 3, highValue: true },
  { mcc: '7995', label: 'online gambling', amountFactor: 1.5, weight: 1, risky: true },
  { mcc: '4829', label: 'money transfer', amountFactor: 3, weight: 1, risky: true },
  { mcc: '6051', label: 'crypto exchange', amountFactor: 3, weight: 1, risky: true },
  { mcc: '6540', label: 'stored-value top-up', amountFactor: 2, weight: 1, risky: true },
]

/** Countries online merchants are registered in. */
const onlineCountries = ['IE', 'LU', 'NL', 'US', 'GB', 'DE', 'FR'] as const

export interface Location {
  lat: number
  lon: number
}

export interface Merchant {
  index: number
  id: string
  mcc: string
  label: string
  kind: MerchantKind
  country: string
  /** The city of a shop or ATM; online merchants have none. */
  city?: number
  location?: Location
  amountFactor: number
  risky: boolean
  smallTicket: boolean
  highValue: boolean
  /** The `merchant` object of the wire format, shared (frozen) by all its transactions. */
  wire: Readonly<{ id: string; mcc: string; country: string }>
}

export interface Device {
  id: string
  ip: string
}

export interface Cardholder {
  index: number
  pan: string
  accountId: string
  city: number
  devices: Device[]
  /** The median purchase, in minor units of the home city's currency. */
  typicalAmount: number
  favouriteLocal: number[]
  favouriteOnline: number[]
}

export interface CityMerchants {
  local: number[]
  /** Local shops by category weight, for the favourites; the cumulative weights of `local`. */
  localCumulative: Float64Array
  atm: number[]
  highValue: number[]
}

export interface Population {
  seed: number
  cities: readonly City[]
  /** `+01:00`-style suffix per city, for timestamps. */
  offsets: readonly string[]
  merchants: Merchant[]
  cardholders: Cardholder[]
  /** Cardholder indices per city. */
  byCity: number[][]
  merchantsByCity: CityMerchants[]
  online: {
    all: number[]
    everyday: number[]
    everydayCumulative: Float64Array
    smallTicket: number[]
    highValue: number[]
    risky: number[]
  }
}

export interface PopulationOptions {
  seed: number
  cards: number
}

/** Issuer BINs (6 digits) the generated cards are drawn under: Visa-like 4xxxxx, Mastercard-like 51–55. */
const bins = ['453201', '476173', '491748', '402400', '448590', '516732', '522182', '535110', '542418', '555004'] as const

/** Appends the Luhn check digit to a digit string. */
export function withLuhnDigit(body: string): string {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return body + String((10 - (sum % 10)) % 10)
}

const cumulativeOf = (weights: readonly number[]): Float64Array => {
  const out = new Float64Array(weights.length)
  let total = 0
  weights.forEach((w, i) => {
    total += w
    out[i] = total
  })
  return out
}

/** A 10.x.y.z address: cardholders' home and mobile networks. */
const privateIp = (rng: Random): string => `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`

/**
 * A deterministic population for a seed: cardholders spread over the cities by weight, each with a
 * Luhn-valid card, an account, one or two usual devices, a typical spend and favourite merchants;
 * shops, ATMs and online merchants to spend at.
 */
export function createPopulation(options: PopulationOptions): Population {
  const { seed, cards } = options
  if (!Number.isInteger(cards) || cards < 1) throw new RangeError(`cards must be a positive integer, not ${cards}`)
  const rng = new Random(seed, 1)

  // Cardholders per city by weight (largest remainder, so the counts add up to `cards`).
  const totalWeight = cities.reduce((sum, c) => sum + c.weight, 0)
  const quotas = cities.map((c) => (cards * c.weight) / totalWeight)
  const counts = quotas.map(Math.floor)
  const order = quotas.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (let k = 0, left = cards - counts.reduce((s, n) => s + n, 0); k < left; k++) {
    const i = order[k % order.length]![1]
    counts[i] = counts[i]! + 1
  }

  const merchants: Merchant[] = []
  const categoryOf: Category[] = []
  const addMerchant = (category: Category, kind: MerchantKind, country: string, city?: number): number => {
    const index = merchants.length
    const id = kind === 'atm' ? `atm-${String(index).padStart(5, '0')}` : `m-${String(index).padStart(5, '0')}`
    let location: Location | undefined
    if (city !== undefined) {
      const c = cities[city]!
      // Spread within ~10 km of the centre, rounded as a terminal would report it.
      location = Object.freeze({
        lat: Math.round((c.lat + rng.float(-0.09, 0.09)) * 1e4) / 1e4,
        lon: Math.round((c.lon + rng.float(-0.12, 0.12)) * 1e4) / 1e4,
      })
    }
    categoryOf.push(category)
    merchants.push({
      index,
      id,
      mcc: category.mcc,
      label: category.label,
      kind,
      country,
      ...(city === undefined ? {} : { city }),
      ...(location === undefined ? {} : { location }),
      amountFactor: category.amountFactor,
      risky: category.risky === true,
      smallTicket: category.smallTicket === true,
      highValue: category.highValue === true,
      wire: Object.freeze({ id, mcc: category.mcc, country }),
    })
    return index
  }

  const localWeights = localCategories.map((c) => c.weight)
  const merchantsByCity: CityMerchants[] = cities.map((city, ci) => {
    // Every category at least once, then more shops in proportion to the people living there.
    const local = localCategories.map((category) => addMerchant(category, 'local', city.country, ci))
    const extra = Math.max(10, Math.round(counts[ci]! / 4))
    for (let k = 0; k < extra; k++) local.push(addMerchant(rng.weighted(localCategories, localWeights), 'local', city.country, ci))
    const atm: number[] = []
    for (let k = 0, n = Math.max(2, Math.round(counts[ci]! / 40)); k < n; k++) atm.push(addMerchant(atmCategory, 'atm', city.country, ci))
    // Nobody's favourite shop is a casino: everyday categories only.
    const weights = local.map((m) => (categoryOf[m]!.risky ? 0 : categoryOf[m]!.weight))
    return { local, localCumulative: cumulativeOf(weights), atm, highValue: local.filter((m) => merchants[m]!.highValue) }
  })

  const onlineAll = onlineCategories.map((category) => addMerchant(category, 'online', rng.pick(onlineCountries)))
  const onlineWeights = onlineCategories.map((c) => c.weight)
  for (let k = 0, n = Math.max(40, Math.round(cards / 50)); k < n; k++) {
    onlineAll.push(addMerchant(rng.weighted(onlineCategories, onlineWeights), 'online', rng.pick(onlineCountries)))
  }
  const everyday = onlineAll.filter((m) => !merchants[m]!.risky)
  const online = {
    all: onlineAll,
    everyday,
    everydayCumulative: cumulativeOf(everyday.map((m) => categoryOf[m]!.weight)),
    smallTicket: onlineAll.filter((m) => merchants[m]!.smallTicket),
    highValue: onlineAll.filter((m) => merchants[m]!.highValue),
    risky: onlineAll.filter((m) => merchants[m]!.risky),
  }
  const onlineGambling = online.risky.filter((m) => merchants[m]!.mcc === '7995')

  const cardholders: Cardholder[] = []
  const byCity: number[][] = cities.map(() => [])
  const pans = new Set<string>()
  // Interleave cities so cardholder indices carry no geography.
  const homes: number[] = []
  counts.forEach((n, ci) => {
    for (let k = 0; k < n; k++) homes.push(ci)
  })
  for (let i = homes.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    const tmp = homes[i]!
    homes[i] = homes[j]!
    homes[j] = tmp
  }
  for (let index = 0; index < cards; index++) {
    const ci = homes[index]!
    const city = cities[ci]!
    let pan: string
    do {
      // BIN, nine account digits, check digit: 16 digits.
      pan = withLuhnDigit(rng.pick(bins) + String(rng.int(0, 999_999_999)).padStart(9, '0'))
    } while (pans.has(pan))
    pans.add(pan)
    const devices: Device[] = []
    for (let k = 0, n = rng.chance(0.45) ? 2 : 1; k < n; k++) devices.push(Object.freeze({ id: `dev-${rng.hex(10)}`, ip: privateIp(rng) }))
    const cityMerchants = merchantsByCity[ci]!
    const favouriteLocal = new Set<number>()
    for (let k = 0, n = rng.int(4, 10); k < n; k++) favouriteLocal.add(cityMerchants.local[rng.cumulativeIndex(cityMerchants.localCumulative)]!)
    const favouriteOnline = new Set<number>()
    for (let k = 0, n = rng.int(1, 4); k < n; k++) favouriteOnline.add(online.everyday[rng.cumulativeIndex(online.everydayCumulative)]!)
    // A few cardholders gamble online: their night-time bets are the legitimate side of risky-MCC-at-night.
    if (onlineGambling.length > 0 && rng.chance(0.03)) favouriteOnline.add(rng.pick(onlineGambling))
    const typicalEuroCents = rng.lognormal(Math.log(2500), 0.5)
    cardholders.push({
      index,
      pan,
      accountId: `acc-${String(index).padStart(6, '0')}`,
      city: ci,
      devices,
      typicalAmount: Math.max(100, Math.round(typicalEuroCents * city.minorPerEuroCent)),
      favouriteLocal: [...favouriteLocal],
      favouriteOnline: [...favouriteOnline],
    })
    byCity[ci]!.push(index)
  }

  return {
    seed,
    cities,
    offsets: cities.map((c) => offsetSuffix(c.utcOffsetMinutes)),
    merchants,
    cardholders,
    byCity,
    merchantsByCity,
    online,
  }
}

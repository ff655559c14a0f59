/**
 * The Fraud Detection Handbook's assessment protocol (Chapter 3, "Baseline fraud detection system";
 * Chapter 4, "Precision top-k metrics"; Chapter_References/shared_functions.py), for scores with
 * ties.
 *
 * Vigil's score is a sum of fired rule scores: most cards share a handful of values, so an order
 * among equal scores is arbitrary, and any single one would flatter or sink the figures by luck.
 * Every metric here is the EXPECTATION under uniformly random tie-breaking (each day's order among
 * equal scores uniformly random, independently), computed exactly, not sampled (one exception, below):
 *   - AUC ROC counts a tied fraud/genuine pair as half (what sklearn's roc_auc_score does too);
 *   - average precision takes each fraud's expected precision at its rank (sklearn's steps over a
 *     tied block instead, `stepwise` below, which is not an expectation);
 *   - CP@k takes the boundary tie's share of the places each day (m places for g tied cards, f of
 *     them frauded: m·f/g), with the cards whose fraud is known dropped (`testSetIndices`).
 * The handbook's `card_precision_top_k` also drops, from later test days, the frauded cards caught
 * earlier in the week; then which tied cards were caught matters later and the days are no longer
 * independent. `expectedCardPrecisionAtK` follows every way the ties can fall, exactly, when that
 * is tractable; `sampledCardPrecisionAtK` estimates it by drawing tie orders when it is not.
 */

/** One transaction as the protocol sees it: its day, its card, its label, its score. */
export interface Scored {
  readonly day: ArrayLike<number>
  readonly card: ArrayLike<number>
  readonly fraud: ArrayLike<number>
  readonly score: ArrayLike<number>
}

export interface TestWindow {
  /** First day of the training week (day numbers since the dataset's start). */
  trainingStartDay: number
  testStartDay: number
  testDays: number
  /** Days until a transaction's label is known (the handbook's delay period). */
  delayDays: number
}

/**
 * `get_train_test_set`'s test set: the transactions of each test day T, minus those of the cards
 * with a fraud known at T, that is a fraud on a day from the training start to T − delay − 1 (the
 * label of a fraud on day T − delay arrives during day T). As in the handbook, frauds before the
 * training start do not count as known. Returns the kept indices, in order.
 *
 * `knownDay` (per transaction, read for frauds only) says instead from which day each fraud is
 * known, when the labels say when they were reported (`vigil train`: the day after the report's);
 * the handbook's rule is knownDay = day + delay + 1.
 */
export function testSetIndices(txns: Pick<Scored, 'day' | 'card' | 'fraud'> & { knownDay?: ArrayLike<number> }, window: TestWindow): number[] {
  // Per card, the first day a fraud of it (from the training start on) is known.
  const firstKnown = new Map<number, number>()
  for (let i = 0; i < txns.day.length; i++) {
    if (!txns.fraud[i] || txns.day[i]! < window.trainingStartDay) continue
    const known = txns.knownDay ? txns.knownDay[i]! : txns.day[i]! + window.delayDays + 1
    const card = txns.card[i]!
    if (known < (firstKnown.get(card) ?? Infinity)) firstKnown.set(card, known)
  }
  const knownAt = (card: number, testDay: number) => (firstKnown.get(card) ?? Infinity) <= testDay
  const kept: number[] = []
  const end = window.testStartDay + window.testDays
  for (let i = 0; i < txns.day.length; i++) {
    const day = txns.day[i]!
    if (day >= window.testStartDay && day < end && !knownAt(txns.card[i]!, day)) kept.push(i)
  }
  return kept
}

/** AUC ROC: the chance a random fraud outscores a random genuine transaction, a tie counting half. */
export function aucRoc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const groups = tieGroups(scores, labels)
  let positives = 0
  let negatives = 0
  for (const g of groups) {
    positives += g.positives
    negatives += g.size - g.positives
  }
  if (positives === 0 || negatives === 0) return Number.NaN
  // Ascending: each group's positives beat every negative below it and tie with its own.
  let below = 0
  let wins = 0
  for (let j = groups.length - 1; j >= 0; j--) {
    const g = groups[j]!
    const groupNegatives = g.size - g.positives
    wins += g.positives * (below + groupNegatives / 2)
    below += groupNegatives
  }
  return wins / (positives * negatives)
}

/**
 * Average precision, (1/P) Σ over frauds of the precision at the fraud's rank, in expectation over
 * the order within each tie; and sklearn's `average_precision_score`, which steps over a tied block
 * at once (Σ ΔRecall × precision at the block's end), for comparison with figures computed by it.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): { expected: number; stepwise: number } {
  const groups = tieGroups(scores, labels)
  let total = 0
  for (const g of groups) total += g.positives
  if (total === 0) return { expected: Number.NaN, stepwise: Number.NaN }
  let before = 0
  let positivesBefore = 0
  let expected = 0
  let stepwise = 0
  for (const { size, positives } of groups) {
    if (positives > 0) {
      // A fraud at position j of the block has, on average, (j − 1)(f − 1)/(g − 1) of the others before it.
      const others = size > 1 ? (positives - 1) / (size - 1) : 0
      let sum = 0
      for (let j = 1; j <= size; j++) sum += (positivesBefore + 1 + (j - 1) * others) / (before + j)
      expected += (positives * sum) / size
      stepwise += positives * ((positivesBefore + positives) / (before + size))
    }
    before += size
    positivesBefore += positives
  }
  return { expected: expected / total, stepwise: stepwise / total }
}

interface TieGroup {
  score: number
  size: number
  positives: number
}

/** Equal scores together, highest first. */
function tieGroups(scores: ArrayLike<number>, labels: ArrayLike<number>): TieGroup[] {
  const byScore = new Map<number, TieGroup>()
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!
    let g = byScore.get(score)
    if (g === undefined) byScore.set(score, (g = { score, size: 0, positives: 0 }))
    g.size++
    if (labels[i]) g.positives++
  }
  return [...byScore.values()].sort((a, b) => b.score - a.score)
}

export interface CardPrecision {
  /** The mean over days of the expected CP@k. */
  mean: number
  perDay: { day: number; expected: number; fraudCards: number }[]
  /** The most tie outcomes followed at once (distinct sets of caught cards that matter later). */
  branches: number
}

/** A card's max score and label on one day (`card_precision_top_k_day` groups by customer and takes both maxima). */
interface DayCard {
  card: number
  score: number
  fraud: boolean
}

interface Day {
  day: number
  /** Distinct scores, highest first, with their cards. */
  groups: { score: number; cards: DayCard[] }[]
  /** Each card's group index and label that day. */
  cardAt: Map<number, { group: number; fraud: boolean }>
}

/**
 * `card_precision_top_k` (remove_detected_frauded_cards=True) in expectation over random
 * tie-breaking: each day, the cards ranked by their highest score that day, the top k taken, CP =
 * frauded cards among them / k; then the frauded cards taken are dropped from the later days.
 *
 * Within a day the expectation is exact by linearity: the boundary tie of g cards (f frauded) gives
 * m places, so it adds m·f/g. Across days, which boundary cards were caught changes later days: the
 * computation carries every distinct outcome with its probability (hypergeometric over the caught
 * cards that appear again), merging outcomes that leave the same cards to drop. Cards that appear on
 * the same later days with the same scores and labels are interchangeable, so only how many of them
 * were caught is enumerated. `maxBranches` bounds the work: beyond it, it throws rather than guess.
 */
export function expectedCardPrecisionAtK(test: Scored, k: number, options: { removeDetected?: boolean; maxBranches?: number } = {}): CardPrecision {
  const removeDetected = options.removeDetected ?? true
  const maxBranches = options.maxBranches ?? 200_000
  const days = groupDays(test)
  const lastDay = new Map<number, number>()
  for (const d of days) for (const g of d.groups) for (const c of g.cards) lastDay.set(c.card, d.day)
  // What a card does after day d: its (day, score, label) on each later day. Equal signatures, interchangeable cards.
  const signatures = new Map<string, string>()
  const signature = (card: number, after: number) => {
    const key = `${card}@${after}`
    let s = signatures.get(key)
    if (s !== undefined) return s
    s = ''
    for (const d of days) {
      if (d.day <= after) continue
      const at = d.cardAt.get(card)
      if (at !== undefined) s += `${d.day}:${d.groups[at.group]!.score}:${at.fraud ? 1 : 0};`
    }
    signatures.set(key, s)
    return s
  }

  let branches = new Map<string, { removed: number[]; p: number }>([['', { removed: [], p: 1 }]])
  let widest = 1
  const perDay: CardPrecision['perDay'] = []
  for (const d of days) {
    const next = new Map<string, { removed: number[]; p: number }>()
    const matters = (card: number) => lastDay.get(card)! > d.day
    const frauded = d.groups.map((g) => g.cards.filter((c) => c.fraud).map((c) => c.card))
    let expected = 0
    let fraudCards = 0
    for (const { removed, p } of branches.values()) {
      // Only the dropped cards seen today change today's groups: adjust sizes instead of refiltering.
      const size = d.groups.map((g) => g.cards.length)
      const gone = new Set<number>()
      for (const card of removed) {
        const at = d.cardAt.get(card)
        if (at === undefined) continue
        size[at.group]!--
        gone.add(card)
      }
      const live = (j: number) => (gone.size === 0 ? frauded[j]! : frauded[j]!.filter((c) => !gone.has(c)))
      // Cards taken whole (above the boundary), then the boundary's share.
      let taken = 0
      let boundary = -1
      for (let j = 0; j < size.length; j++) {
        if (taken + size[j]! > k) {
          boundary = j
          break
        }
        taken += size[j]!
      }
      const above = boundary >= 0 ? boundary : size.length
      let frauds = 0
      const sure: number[] = []
      for (let j = 0; j < above; j++) {
        for (const card of live(j)) {
          frauds++
          if (matters(card)) sure.push(card)
        }
      }
      let allFrauds = frauds
      for (let j = above; j < size.length; j++) allFrauds += live(j).length
      const places = boundary >= 0 ? k - taken : 0
      const boundaryFrauds = boundary >= 0 ? live(boundary) : []
      const dayExpected = frauds + (places > 0 ? (places * boundaryFrauds.length) / size[boundary]! : 0)
      expected += (p * dayExpected) / k
      fraudCards += p * allFrauds
      if (!removeDetected) continue

      const carried = removed.filter(matters).concat(sure)
      const relevant = boundaryFrauds.filter(matters)
      if (relevant.length === 0 || places === 0) {
        merge(next, carried, p)
        continue
      }
      const classes = new Map<string, number[]>()
      for (const card of relevant) {
        const key = signature(card, d.day)
        const list = classes.get(key)
        if (list) list.push(card)
        else classes.set(key, [card])
      }
      const outcomes = [...classes.values()].reduce((n, c) => n * (c.length + 1), 1)
      if (outcomes > maxBranches) throw new Error(`expected CP@${k}: ${outcomes} ways the tie at score ${d.groups[boundary]!.score} on day ${d.day} can fall, over ${maxBranches}`)
      for (const { caught, probability } of boundaryOutcomes([...classes.values()], size[boundary]!, places)) {
        merge(next, carried.concat(caught), p * probability)
      }
    }
    if (removeDetected) {
      branches = next
      widest = Math.max(widest, branches.size)
      if (branches.size > maxBranches) throw new Error(`expected CP@${k}: ${branches.size} tie outcomes to follow after day ${d.day}, over ${maxBranches}`)
    }
    perDay.push({ day: d.day, expected, fraudCards })
  }
  const mean = perDay.reduce((s, x) => s + x.expected, 0) / perDay.length
  return { mean, perDay, branches: widest }
}

function merge(into: Map<string, { removed: number[]; p: number }>, removed: number[], p: number): void {
  const sorted = [...new Set(removed)].sort((a, b) => a - b)
  const key = sorted.join(',')
  const existing = into.get(key)
  if (existing) existing.p += p
  else into.set(key, { removed: sorted, p })
}

/**
 * Every way `places` cards drawn uniformly from a tie of `size` cards can catch the relevant frauded
 * cards, given as classes of interchangeable cards: for counts a_i per class, probability
 * Π C(n_i, a_i) × C(size − r, places − Σa) / C(size, places) (multivariate hypergeometric, r the
 * relevant cards), with the first a_i of each class as its representatives.
 */
function* boundaryOutcomes(classes: number[][], size: number, places: number): Generator<{ caught: number[]; probability: number }> {
  const r = classes.reduce((n, c) => n + c.length, 0)
  const counts = new Array<number>(classes.length).fill(0)
  const logTotal = logChoose(size, places)
  for (;;) {
    const s = counts.reduce((a, b) => a + b, 0)
    if (s <= places && places - s <= size - r) {
      let log = logChoose(size - r, places - s) - logTotal
      for (let i = 0; i < classes.length; i++) log += logChoose(classes[i]!.length, counts[i]!)
      const caught = classes.flatMap((c, i) => c.slice(0, counts[i]))
      yield { caught, probability: Math.exp(log) }
    }
    // Next count vector (odometer).
    let i = 0
    while (i < classes.length && counts[i] === classes[i]!.length) counts[i++] = 0
    if (i === classes.length) return
    counts[i]!++
  }
}

const logFactorials: number[] = [0]
function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i))
  return logFactorials[n]!
}
const logChoose = (n: number, r: number) => logFactorial(n) - logFactorial(r) - logFactorial(n - r)

function groupDays(test: Scored): Day[] {
  const byDay = new Map<number, Map<number, DayCard>>()
  for (let i = 0; i < test.day.length; i++) {
    const day = test.day[i]!
    let cards = byDay.get(day)
    if (cards === undefined) byDay.set(day, (cards = new Map()))
    const card = test.card[i]!
    const existing = cards.get(card)
    const fraud = Boolean(test.fraud[i])
    if (existing === undefined) cards.set(card, { card, score: test.score[i]!, fraud })
    else {
      existing.score = Math.max(existing.score, test.score[i]!)
      existing.fraud ||= fraud
    }
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => a - b)
    .map(([day, cards]) => {
      const byScore = new Map<number, DayCard[]>()
      for (const c of cards.values()) {
        const list = byScore.get(c.score)
        if (list) list.push(c)
        else byScore.set(c.score, [c])
      }
      const groups = [...byScore.entries()].sort(([a], [b]) => b - a).map(([score, list]) => ({ score, cards: list.sort((x, y) => x.card - y.card) }))
      const cardAt = new Map<number, { group: number; fraud: boolean }>()
      groups.forEach((g, group) => {
        for (const c of g.cards) cardAt.set(c.card, { group, fraud: c.fraud })
      })
      return { day, groups, cardAt }
    })
}

/**
 * `card_precision_top_k` with the caught cards dropped, estimated by drawing the tie orders: the
 * fallback for when following every tie outcome exactly (`expectedCardPrecisionAtK`) is out of
 * reach, which a large tie at the boundary makes it (a few thousand cards at one score, dozens of
 * them frauds seen again later in the week). A Monte Carlo mean, reported with its standard error.
 */
export function sampledCardPrecisionAtK(test: Scored, k: number, draws: number, rng: { next(): number }): { mean: number; standardError: number; draws: number } {
  const days = groupDays(test)
  const values: number[] = []
  for (let n = 0; n < draws; n++) {
    const caught = new Set<number>()
    let total = 0
    for (const d of days) {
      let taken = 0
      let frauds = 0
      for (const g of d.groups) {
        const live = g.cards.filter((c) => !caught.has(c.card))
        if (taken + live.length <= k) {
          for (const c of live) {
            if (!c.fraud) continue
            caught.add(c.card)
            frauds++
          }
          taken += live.length
          continue
        }
        // A uniformly random subset of the tie fills the places left (partial Fisher–Yates).
        const places = k - taken
        for (let i = 0; i < places; i++) {
          const j = i + Math.floor(rng.next() * (live.length - i))
          const pick = live[j]!
          live[j] = live[i]!
          live[i] = pick
          if (!pick.fraud) continue
          caught.add(pick.card)
          frauds++
        }
        break
      }
      total += frauds / k
    }
    values.push(total / days.length)
  }
  const mean = values.reduce((s, v) => s + v, 0) / draws
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, draws - 1)
  return { mean, standardError: Math.sqrt(variance / draws), draws }
}

/**
 * The ceiling of CP@k on a test set (the handbook's "maximum"): CP@k of the perfect ranking, every
 * frauded card above every other, each day min(k, frauded cards left)/k, the caught cards dropped
 * from later days as `card_precision_top_k` drops them.
 */
export function cardPrecisionCeiling(test: Omit<Scored, 'score'>, k: number): number {
  return expectedCardPrecisionAtK({ ...test, score: Array.from(test.fraud, (f) => (f ? 1 : 0)) }, k, { removeDetected: true }).mean
}

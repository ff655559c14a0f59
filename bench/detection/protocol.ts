/**
 * The Fraud Detection Handbook's assessment protocol (Chapter 3, "Baseline fraud detection system";
 * Chapter 4, "Precision top-k metrics"; Chapter_References/shared_functions.py), for scores with
 * ties.
 *
 * Vigil's score is a sum of fired rule scores: most cards share a handful of values, so an order
 * among equal scores is arbitrary, and any single one would flatter or sink the figures by luck.
 * Every metric here is the EXPECTATION under uniformly random tie-breaking (each day's order among
 * equal scores uniformly random, independently), computed exactly, not sampled:
 *   - AUC ROC counts a tied fraud/genuine pair as half (what sklearn's roc_auc_score does too);
 *   - average precision takes each fraud's expected precision at its rank (sklearn's steps over a
 *     tied block instead, `stepwise` below, which is not an expectation);
 *   - CP@k follows every way the boundary tie can fall, with its probability, through the days
 *     (a card caught on one day is dropped from the next ones, so the days are not independent).
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
 */
export function testSetIndices(txns: Pick<Scored, 'day' | 'card' | 'fraud'>, window: TestWindow): number[] {
  const fraudDays = new Map<number, number[]>()
  for (let i = 0; i < txns.day.length; i++) {
    if (!txns.fraud[i]) continue
    const list = fraudDays.get(txns.card[i]!)
    if (list) list.push(txns.day[i]!)
    else fraudDays.set(txns.card[i]!, [txns.day[i]!])
  }
  const knownAt = (card: number, testDay: number) =>
    fraudDays.get(card)?.some((day) => day >= window.trainingStartDay && day <= testDay - window.delayDays - 1) ?? false
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
  const signature = (card: number, after: number) => {
    let s = ''
    for (const d of days) {
      if (d.day <= after) continue
      const at = d.cardAt.get(card)
      if (at !== undefined) s += `${d.day}:${d.groups[at.group]!.score}:${at.fraud ? 1 : 0};`
    }
    return s
  }

  let branches = new Map<string, { removed: number[]; p: number }>([['', { removed: [], p: 1 }]])
  let widest = 1
  const perDay: CardPrecision['perDay'] = []
  for (const d of days) {
    const next = new Map<string, { removed: number[]; p: number }>()
    let expected = 0
    let fraudCards = 0
    for (const { removed, p } of branches.values()) {
      const gone = new Set(removed)
      const live = d.groups.map((g) => g.cards.filter((c) => !gone.has(c.card)))
      // Cards taken whole (above the boundary), then the boundary's share.
      let taken = 0
      let frauds = 0
      let boundary = -1
      for (let j = 0; j < live.length; j++) {
        const size = live[j]!.length
        if (taken + size > k) {
          boundary = j
          break
        }
        taken += size
        frauds += live[j]!.filter((c) => c.fraud).length
      }
      let dayExpected = frauds
      let places = 0
      let boundaryFrauds: DayCard[] = []
      if (boundary >= 0) {
        places = k - taken
        boundaryFrauds = live[boundary]!.filter((c) => c.fraud)
        dayExpected += (places * boundaryFrauds.length) / live[boundary]!.length
      }
      expected += (p * dayExpected) / k
      fraudCards += p * live.reduce((n, cards) => n + cards.filter((c) => c.fraud).length, 0)
      if (!removeDetected) continue

      const matters = (card: number) => (lastDay.get(card) ?? -Infinity) > d.day
      const sure = live
        .slice(0, boundary >= 0 ? boundary : live.length)
        .flat()
        .filter((c) => c.fraud && matters(c.card))
        .map((c) => c.card)
      const carried = removed.filter(matters).concat(sure)
      const relevant = boundaryFrauds.filter((c) => matters(c.card))
      if (relevant.length === 0 || places === 0) {
        merge(next, carried, p)
        continue
      }
      const classes = new Map<string, number[]>()
      for (const c of relevant) {
        const key = signature(c.card, d.day)
        const list = classes.get(key)
        if (list) list.push(c.card)
        else classes.set(key, [c.card])
      }
      const size = live[boundary]!.length
      const outcomes = [...classes.values()].reduce((n, c) => n * (c.length + 1), 1)
      if (outcomes > maxBranches) throw new Error(`expected CP@${k}: ${outcomes} ways the tie at score ${d.groups[boundary]!.score} on day ${d.day} can fall, over ${maxBranches}`)
      for (const { caught, probability } of boundaryOutcomes([...classes.values()], size, places)) {
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

/**
 * A bounded set of hashed values with how long ago each was last seen, stored flat as
 * `[hash, age, hash, age, …]`. Ages count back from the entity's newest event (in whatever unit
 * the caller quantizes time to), so they stay small and are shifted when that event moves on.
 * Beyond `cap` values, the one seen longest ago makes room: the set keeps the most recent ones.
 */

/**
 * The set after seeing `hash` (when defined) `age` units before the newest event, once every age
 * has grown by `advance`. A value's age is that of its latest sighting; values older than
 * `horizon` are forgotten, and a new value older than all of a full set is not added.
 *
 * With `reuse`, the caller owns `entries` and never reads it again: they are updated in place
 * (the result is the same set, in the same order).
 */
export function touchRecent(
  entries: readonly number[] | undefined,
  advance: number,
  hash: number | undefined,
  age: number,
  cap: number,
  horizon: number,
  reuse = false,
): readonly number[] | undefined {
  // Kept entries are compacted to the front: writing never overtakes reading, so in place is safe.
  const next: number[] = reuse && entries !== undefined ? (entries as number[]) : []
  let length = 0
  let seen = false
  if (entries !== undefined) {
    for (let i = 0; i < entries.length; i += 2) {
      const entryHash = entries[i]!
      const entryAge = entries[i + 1]! + advance
      if (entryAge > horizon) continue
      if (entryHash === hash) seen = true
      next[length++] = entryHash
      next[length++] = entryHash === hash ? Math.min(entryAge, age) : entryAge
    }
  }
  if (next.length !== length) next.length = length
  if (hash !== undefined && !seen && age <= horizon) {
    if (length < cap * 2) next.push(hash, age)
    else {
      let oldest = 1
      for (let i = 3; i < length; i += 2) if (next[i]! > next[oldest]!) oldest = i
      if (age < next[oldest]!) {
        next[oldest - 1] = hash
        next[oldest] = age
      }
    }
  }
  return next.length === 0 ? undefined : next
}

/** How many values were last seen between `minAge` and `maxAge` ago, inclusive. */
export function countRecent(entries: readonly number[] | undefined, minAge: number, maxAge: number): number {
  if (entries === undefined) return 0
  let count = 0
  for (let i = 1; i < entries.length; i += 2) {
    const age = entries[i]!
    if (age >= minAge && age <= maxAge) count++
  }
  return count
}

export function hasRecent(entries: readonly number[] | undefined, hash: number): boolean {
  if (entries === undefined) return false
  for (let i = 0; i < entries.length; i += 2) if (entries[i] === hash) return true
  return false
}

/**
 * A 32-bit hash (FNV-1a, then murmur3's finalizer for avalanche) that stands in for a value in a
 * stored set: 10 digits instead of a 43-character token or a 39-character IPv6 address. Among m
 * values, the chance that two share a hash is at most m(m−1)/2 / 2³² (≈ 1.2·10⁻⁷ for m = 32),
 * and a collision can only make two values look like one. Not keyed: whoever can choose values
 * to collide could as well repeat one value, so collisions give an attacker nothing new.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

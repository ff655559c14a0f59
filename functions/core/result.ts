/** Expected failures are values, so a batch or a CLI loop can never be crashed by one bad input. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E }

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value })
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error })

/** One problem with an input, located by its path (`card.pan`, `merchant.id`, `rules[3].when`). */
export interface Issue {
  path: string
  message: string
}

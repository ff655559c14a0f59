/**
 * The digits of a PAN that are kept beside its token. The digits a PAN hides, once Luhn has fixed
 * one of them, leave 10^(hidden − 1) candidates: BIN + last four hide 6 digits of a 16-digit PAN
 * (100,000 candidates) and 5 of a 15-digit one (10,000), but only 2 of a 12-digit PAN (10) and 3
 * of a 13-digit one (100), a search anyone with a way to test a card could finish by hand. So at
 * least `minHidden` digits stay hidden: PANs of 15 digits and more keep BIN + last four, as PCI DSS
 * allows; shorter ones keep only the last four, the analysts' handle on a card (hiding 8 to 10).
 */
const minHidden = 5
const binLength = 6
const lastLength = 4

export function maskedDigits(pan: string): { bin?: string; last4: string } {
  const last4 = pan.slice(-lastLength)
  return pan.length - binLength - lastLength >= minHidden ? { bin: pan.slice(0, binLength), last4 } : { last4 }
}

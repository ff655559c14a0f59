import { describe, expect, it } from 'vitest'
import { applyTransaction, readFeatures, type EntityState } from '../../../functions/core/features/index.ts'
import type { Transaction } from '../../../functions/core/transaction.ts'
import { epoch, hour, minute, planOf, second, txnAt } from './fixtures.ts'

const paris = { lat: 48.8566, lon: 2.3522 }
const newYork = { lat: 40.7128, lon: -74.006 }

const cardPlan = planOf(
  { name: 'secs', entity: 'card', aggregate: 'seconds_since_last' },
  { name: 'km', entity: 'card', aggregate: 'km_from_last' },
  { name: 'kmh', entity: 'card', aggregate: 'kmh_from_last' },
)

/** The card features of the last transaction, after all the earlier ones were applied. */
function cardFeaturesOfLast(txns: readonly Transaction[]) {
  let state: EntityState | undefined
  for (const txn of txns.slice(0, -1)) state = applyTransaction(cardPlan, 'card', state, txn)
  return readFeatures(cardPlan, { card: state }, txns.at(-1)!)
}

describe('card built-ins', () => {
  it('flags impossible travel: Paris then New York an hour later is faster than 900 km/h', () => {
    const features = cardFeaturesOfLast([txnAt(epoch, { location: paris }), txnAt(epoch + hour, { location: newYork })])
    expect(features.km).toBeCloseTo(5837, -1)
    expect(features.kmh).toBeGreaterThan(900)
    expect(features.kmh).toBeCloseTo(features.km as number, 6)
    expect(features.secs).toBe(3600)
  })

  it('gives 0 km and 0 km/h for the same place', () => {
    const features = cardFeaturesOfLast([txnAt(epoch, { location: paris }), txnAt(epoch + minute, { location: paris })])
    expect(features.km).toBe(0)
    expect(features.kmh).toBe(0)
  })

  it('leaves every built-in absent on the card’s first transaction', () => {
    expect(cardFeaturesOfLast([txnAt(epoch, { location: paris })])).toEqual({})
  })

  it('leaves distances absent when the transaction or the card’s history has no location', () => {
    expect(cardFeaturesOfLast([txnAt(epoch, { location: paris }), txnAt(epoch + minute)])).toEqual({ secs: 60 })
    expect(cardFeaturesOfLast([txnAt(epoch), txnAt(epoch + minute, { location: paris })])).toEqual({ secs: 60 })
  })

  it('measures from the newest located transaction, across transactions without a location', () => {
    const features = cardFeaturesOfLast([
      txnAt(epoch, { location: paris }),
      txnAt(epoch + 30 * minute),
      txnAt(epoch + hour, { location: newYork }),
    ])
    expect(features.secs).toBe(1800)
    expect(features.kmh).toBeCloseTo(features.km as number, 6)
  })

  it('floors the travel time at one second, so two places at the same instant give a finite speed', () => {
    const features = cardFeaturesOfLast([txnAt(epoch, { location: paris }), txnAt(epoch, { location: newYork })])
    expect(features.secs).toBe(0)
    expect(features.kmh).toBeCloseTo((features.km as number) * 3600, 3)
  })

  it('uses the absolute time gap for a transaction older than the newest one (out of order)', () => {
    const features = cardFeaturesOfLast([txnAt(epoch + hour, { location: newYork }), txnAt(epoch, { location: paris })])
    expect(features.secs).toBe(3600)
    expect(features.kmh).toBeCloseTo(features.km as number, 6)
  })

  it('keeps the newest location when an older located transaction arrives late', () => {
    const features = cardFeaturesOfLast([
      txnAt(epoch + hour, { location: newYork }),
      txnAt(epoch, { location: paris }),
      txnAt(epoch + hour + 10 * second, { location: newYork }),
    ])
    expect(features.km).toBe(0)
  })
})

describe('device_first_seen', () => {
  const plan = planOf({ name: 'new_device', entity: 'account', aggregate: 'device_first_seen' })
  const onDevice = (time: number, id: string | undefined) =>
    txnAt(time, { accountId: 'account-1', device: id === undefined ? {} : { id } })

  function firstSeenFlags(txns: readonly Transaction[]) {
    let state: EntityState | undefined
    return txns.map((txn) => {
      const features = readFeatures(plan, { account: state }, txn)
      state = applyTransaction(plan, 'account', state, txn)
      return features.new_device
    })
  }

  it('is true for a device the account never used and false once it has', () => {
    expect(firstSeenFlags([onDevice(epoch, 'phone'), onDevice(epoch + 1, 'phone'), onDevice(epoch + 2, 'laptop'), onDevice(epoch + 3, 'phone')])).toEqual([
      true,
      false,
      true,
      false,
    ])
  })

  it('is absent when the transaction has no device id, which leaves the known devices unchanged', () => {
    expect(firstSeenFlags([onDevice(epoch, 'phone'), onDevice(epoch + 1, undefined), onDevice(epoch + 2, 'phone')])).toEqual([
      true,
      undefined,
      false,
    ])
  })

  it('forgets the least recently used device beyond 16 devices', () => {
    const devices = Array.from({ length: 17 }, (_, i) => onDevice(epoch + i * minute, `device-${i}`))
    const refreshFirst = onDevice(epoch + 17 * minute, 'device-0')
    expect(firstSeenFlags([...devices, refreshFirst, onDevice(epoch + 18 * minute, 'device-1')]).slice(-2)).toEqual([true, true])
    expect(firstSeenFlags([...devices.slice(0, 16), onDevice(epoch + 16 * minute, 'device-0')]).at(-1)).toBe(false)
  })

  it('ranks devices by event time, so a late transaction does not make its device the most recent', () => {
    const devices = Array.from({ length: 16 }, (_, i) => onDevice(epoch + (i + 1) * minute, `device-${i}`))
    const lateOnNew = onDevice(epoch, 'device-late')
    expect(firstSeenFlags([...devices, lateOnNew, onDevice(epoch + hour, 'device-0')]).slice(-2)).toEqual([true, false])
  })
})

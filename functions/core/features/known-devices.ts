/**
 * `device_first_seen` (per account): true when the transaction's device is not among the
 * account's 16 most recently seen devices (by event time; an older device makes room for a new
 * one). Devices are kept as 32-bit hashes (hash.ts): a new device may pass for a known one with
 * probability ≤ 16 / 2³² ≈ 4·10⁻⁹. Absent when the transaction has no device id.
 */
import type { Transaction } from '../transaction.ts'
import type { FeatureValues } from './definition.ts'
import { hash32 } from './hash.ts'
import { hasRecent, touchRecent } from './recent-values.ts'

export const knownDevicesCap = 16

/** The account's recent devices after the transaction at `time`, ages in ms from its newest event; in place with `reuse` (see touchRecent). */
export function applyKnownDevices(
  devices: readonly number[] | undefined,
  newest: number,
  latest: number,
  time: number,
  txn: Transaction,
  reuse = false,
): readonly number[] | undefined {
  const id = txn.device?.id
  return touchRecent(devices, latest - newest, id === undefined ? undefined : hash32(id), latest - time, knownDevicesCap, Infinity, reuse)
}

export function readDeviceFirstSeen(
  names: readonly string[],
  devices: readonly number[] | undefined,
  txn: Transaction,
  out: FeatureValues,
): void {
  const id = txn.device?.id
  if (id === undefined) return
  const firstSeen = !hasRecent(devices, hash32(id))
  for (const name of names) out[name] = firstSeen
}

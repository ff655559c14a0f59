/**
 * POST /labels: labels from analysts and from outside (chargeback feeds, issuers, customers), each
 * answered on its own. A label is validated, resolved against what stands for its transaction
 * (`resolveLabel`, the applier's own rule) and against the request's earlier labels, and sent to
 * the labels stream if it tells something new; the label applier applies it exactly once.
 *
 * The answer predicts the applier's: both resolve with the same rule against the same standing.
 * Labels sent concurrently by two requests can still meet in another order on the stream; the
 * applier's resolution is the one that counts, and it is idempotent, so resending never hurts.
 */
import type { DynamoDecisionQueries } from '../aws/decision-queries.ts'
import type { KinesisLabelStream } from '../aws/label-stream.ts'
import { defaultEventTime } from '../core/event-time.ts'
import { fromZodError } from '../core/issues.ts'
import type { LabelItem } from '../core/labels/apply-batch.ts'
import { labelSchema, type Label } from '../core/labels/label.ts'
import { resolveLabel } from '../core/labels/resolve.ts'
import { err, ok, type Result } from '../core/result.ts'
import { labelStatuses, type ApiIssue, type LabelsResponse, type LabelStatus } from './schemas.ts'

/** Where labels are read from and sent to. */
export interface LabelPorts {
  /** The label items, for what stands. */
  items: { read(transactionIds: readonly string[]): Promise<Map<string, LabelItem>> }
  stream: Pick<KinesisLabelStream, 'send'>
}

export interface LabelIntakeDeps extends LabelPorts {
  decisions: Pick<DynamoDecisionQueries, 'decided'>
  /** Epoch ms. */
  now: () => number
}

type LabelResult = LabelsResponse['items'][number]

/** A label reported later than this after now is refused: the clock drift an event time may have, no more. */
export const maxReportedAheadMs = defaultEventTime.maxAheadMs

/** One item of the request as a label, or its issues under `labels[index]`. */
export function parseLabel(input: unknown, index: number, now: number): Result<Label, ApiIssue[]> {
  const at = `labels[${index}]`
  const parsed = labelSchema.safeParse(input)
  if (!parsed.success) return err(fromZodError(parsed.error).map((issue) => ({ path: issue.path ? `${at}.${issue.path}` : at, message: issue.message })))
  // A label seen before it was reported would leak the future into label-fed features.
  if (Date.parse(parsed.data.reportedAt) > now + maxReportedAheadMs) {
    return err([{ path: `${at}.reportedAt`, message: `is more than ${maxReportedAheadMs / 1000} s in the future: a label is reported when its outcome became known, not later than now` }])
  }
  return ok(parsed.data)
}

/**
 * What the applier will hold as the standing label: the item's standing, then the labels waiting
 * for their transaction in the order they came, each resolved as the applier will resolve it.
 */
export function standingOf(item: LabelItem | undefined): Label | undefined {
  if (item === undefined) return undefined
  return item.waiting.reduce<Label | undefined>((standing, waiting) => resolveLabel(standing, waiting).current, item.standing)
}

/** The transaction id of an item that is not a label, when that much of it is valid (never a PAN: the schema refuses one). */
function transactionIdOf(input: unknown): string | undefined {
  const id = typeof input === 'object' && input !== null ? (input as { transactionId?: unknown }).transactionId : undefined
  const parsed = labelSchema.shape.transactionId.safeParse(id)
  return parsed.success ? parsed.data : undefined
}

export async function takeLabels(deps: LabelIntakeDeps, inputs: readonly unknown[]): Promise<LabelsResponse> {
  const now = deps.now()
  const items: LabelResult[] = []
  const valid: Array<{ index: number; label: Label }> = []
  inputs.forEach((input, index) => {
    const parsed = parseLabel(input, index, now)
    if (parsed.ok) valid.push({ index, label: parsed.value })
    else {
      const transactionId = transactionIdOf(input)
      items[index] = { index, ...(transactionId === undefined ? {} : { transactionId }), status: 'invalid', issues: parsed.error }
    }
  })

  const ids = [...new Set(valid.map(({ label }) => label.transactionId))]
  if (ids.length > 0) {
    const [stored, decided] = await Promise.all([deps.items.read(ids), deps.decisions.decided(ids, now)])
    const standing = new Map(ids.map((id) => [id, standingOf(stored.get(id))]))
    const outgoing: Array<{ index: number; label: Label }> = []
    for (const { index, label } of valid) {
      const id = label.transactionId
      const before = standing.get(id)
      const { outcome, current } = resolveLabel(before, label)
      standing.set(id, current)
      const status: LabelStatus = outcome !== 'accepted' ? outcome : decided.has(id) ? 'accepted' : 'unknown_transaction'
      items[index] = { index, transactionId: id, status }
      // A duplicate reported later is sent too, though it counts nothing: it becomes the newest word,
      // which an older contrary report (a late issuer's) must not undo. An equal one is not sent,
      // so a re-run sends nothing.
      const newer = outcome === 'duplicate' && Date.parse(label.reportedAt) > Date.parse(before!.reportedAt)
      if (outcome === 'accepted' || newer) outgoing.push({ index, label })
    }
    const sent = await deps.stream.send(outgoing.map(({ label }) => label))
    sent.forEach((result, k) => {
      if (result.sent) return
      const { index } = outgoing[k]!
      items[index] = {
        index,
        transactionId: outgoing[k]!.label.transactionId,
        status: 'failed',
        issues: [{ path: `labels[${index}]`, message: `not sent: the labels stream refused it (${result.errorCode}); send it again` }],
      }
    })
  }

  const counts = Object.fromEntries(labelStatuses.map((status) => [status, 0])) as Record<LabelStatus, number>
  for (const item of items) counts[item.status]++
  return { counts, items }
}

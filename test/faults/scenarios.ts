/**
 * The fault scenarios: what each does to the traffic, which faults each proxy injects, and what
 * happens to the running pipeline midway. Rates are per request the proxy sees; storms are counted
 * in requests, so they are seed-determined like everything else.
 */
import type { FaultPlan, Service } from './fault-proxy.ts'
import type { TrafficShape } from './traffic.ts'

export interface Scenario {
  readonly name: string
  readonly traffic: TrafficShape
  readonly faults: Partial<Record<Service, FaultPlan>>
  /** Scorer containers killed (SIGKILL) at a DynamoDB write per 10,000 records, half before and half after the write lands. */
  readonly killsPer10k?: number
  /** Done to the running pipeline once this share of the records has been processed. */
  readonly midstream?: { readonly at: number; readonly action: 'activate-rule-set' | 'split-shards' }
}

/** Background noise every scenario runs under: a little latency, a few resets and 500s everywhere. */
const background: FaultPlan = { rates: { latency: 0.03, serverError: 0.003, resetBeforeForward: 0.002, resetAfterForward: 0.002 }, latencyMs: [2, 20] }

export const scenarios: readonly Scenario[] = [
  {
    name: 'producer duplicates',
    traffic: { duplicateShare: 0.05 },
    faults: {
      kinesis: { rates: { resetAfterForward: 0.12, serverError: 0.05, throttle: 0.05 }, operations: ['PutRecords'] },
      dynamodb: background,
    },
  },
  {
    name: 'consumer crash mid-batch',
    traffic: {},
    faults: { dynamodb: background },
    killsPer10k: 8,
  },
  {
    name: 'throttling storms',
    traffic: {},
    faults: {
      dynamodb: { rates: { throttle: 0.01 }, storm: { every: 2_000, length: 150, rates: { throttle: 0.35, latency: 0.2 } }, latencyMs: [20, 80] },
      kinesis: { rates: { throttle: 0.05 }, operations: ['GetRecords', 'GetShardIterator', 'PutRecords'] },
      stepfunctions: { rates: { throttle: 0.05 } },
    },
  },
  {
    name: 'poison pills',
    traffic: { malformedShare: 0.06, poisonShare: 0.02 },
    faults: { dynamodb: { rates: { serverError: 0.02, resetBeforeForward: 0.005, resetAfterForward: 0.005 } }, kinesis: background },
  },
  {
    name: 'out-of-order and late events',
    traffic: { outOfOrderShare: 0.25, lateShare: 0.03 },
    faults: { dynamodb: { rates: { latency: 0.15, resetAfterForward: 0.01 }, latencyMs: [5, 50] }, kinesis: background },
  },
  {
    name: 'rule-set activation mid-stream',
    traffic: {},
    faults: { dynamodb: background, stepfunctions: { rates: { resetAfterForward: 0.05, serverError: 0.05 } } },
    midstream: { at: 0.5, action: 'activate-rule-set' },
  },
  {
    name: 'resharding mid-stream',
    traffic: {},
    faults: { dynamodb: background, kinesis: { rates: { throttle: 0.03, serverError: 0.01, resetAfterForward: 0.01 } } },
    midstream: { at: 0.35, action: 'split-shards' },
  },
]

/**
 * AWS list prices, us-east-1, USD, on-demand with no free tier and no savings plan. Taken from the
 * services' public pricing pages (aws.amazon.com/{kinesis/data-streams,lambda,dynamodb,
 * step-functions,cloudwatch,xray}/pricing) as they stood when recorded below; this machine has no
 * network, so check them against the pages before quoting a figure.
 */
export const awsPrices = {
  region: 'us-east-1',
  recorded: '2025-06',
  kinesis: {
    /** On-demand: a stream-hour, a GB written (each record rounded up to 1 KB), a GB read. */
    onDemand: { streamHour: 0.04, ingestedGb: 0.08, retrievedGb: 0.04 },
    /** Provisioned: a shard-hour, a million PUT payload units (25 KB chunks of a record). */
    provisioned: { shardHour: 0.015, putPayloadUnitsPerMillion: 0.014 },
  },
  /** Arm64 (Graviton), the first 6 billion GB-seconds a month. */
  lambda: { gbSecond: 0.0000133334, requestsPerMillion: 0.2 },
  /** On-demand capacity, Standard table class (after the November 2024 price cut). */
  dynamodb: { writeRequestUnitsPerMillion: 0.625, readRequestUnitsPerMillion: 0.125, storageGbMonth: 0.25, pointInTimeRecoveryGbMonth: 0.2 },
  /** Standard workflows. */
  stepFunctions: { transitionsPerThousand: 0.025 },
  cloudWatchLogs: { ingestedGb: 0.5 },
  xRay: { tracesRecordedPerMillion: 5 },
} as const

/**
 * CloudWatch embedded metric format (EMF), read back: what CloudWatch Logs extracts from a
 * Lambda's log lines, so the local runtime can count exactly what the cloud would.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

interface MetricDirective {
  readonly Namespace: string
  readonly Dimensions: ReadonlyArray<readonly string[]>
  readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit?: string }>
}

/** One EMF document: values and dimension values at the top level, their meaning under `_aws`. */
export interface EmfDocument {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: readonly MetricDirective[] }
  readonly [member: string]: unknown
}

/** One metric of a document: every value it carries (EMF allows up to 100) and its dimensions. */
export interface MetricSample {
  readonly namespace: string
  readonly name: string
  readonly dimensions: Readonly<Record<string, string>>
  readonly values: readonly number[]
}

/** The document a log line holds, or undefined for any other line (plain text, a JSON log line). */
export function parseEmfLine(line: string): EmfDocument | undefined {
  if (!line.includes('"_aws"')) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return undefined
  }
  const directives = (parsed as { _aws?: { CloudWatchMetrics?: unknown } } | null)?._aws?.CloudWatchMetrics
  return Array.isArray(directives) ? (parsed as EmfDocument) : undefined
}

/**
 * The metrics of a document, once per directive however many dimension sets it lists (CloudWatch
 * files the same values under each set; counted once here, with every dimension). A value that is not a number, or an array of
 * numbers, is not a metric value and is skipped, as CloudWatch skips it.
 */
export function metricSamples(document: EmfDocument): MetricSample[] {
  const samples: MetricSample[] = []
  for (const directive of document._aws.CloudWatchMetrics) {
    const dimensions: Record<string, string> = {}
    for (const name of directive.Dimensions.flat()) {
      const value = document[name]
      if (typeof value === 'string') dimensions[name] = value
    }
    for (const { Name } of directive.Metrics) {
      const raw = document[Name]
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      if (values.length > 0) samples.push({ namespace: directive.Namespace, name: Name, dimensions, values })
    }
  }
  return samples
}

/**
 * Logs, metrics and traces of every Vigil Lambda (Powertools for AWS Lambda), and the middy
 * middlewares that apply them, in the order they run:
 *
 * 1. tracer: the `## handler` subsegment wraps everything after it (cold start annotation; never
 *    the response, which may carry case details);
 * 2. logger: the Lambda context on every line, the correlation keys of this invocation, reset after
 *    it; the raw event is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says;
 * 3. metrics: flushed as one CloudWatch EMF line after the handler, also when it throws, with a
 *    ColdStart metric on the first invocation of a container;
 * 4. an error log line (with the correlation keys) for an invocation that throws.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import type { MiddlewareObj } from '@middy/core'
import { redactPans } from '../core/pan-text.ts'
import { metricsNamespace, type ServiceName } from './service-names.ts'

export { metricsNamespace, serviceNames, type ServiceName } from './service-names.ts'

export interface Telemetry {
  readonly logger: Logger
  readonly metrics: Metrics
  readonly tracer: Tracer
}

export function createTelemetry(serviceName: ServiceName): Telemetry {
  const logger = new Logger({ serviceName })
  return {
    logger,
    metrics: new Metrics({ namespace: metricsNamespace, serviceName, logger: metricsWarnings(logger) }),
    tracer: new Tracer({ serviceName }),
  }
}

/** What identifies an invocation's subject in its log lines: `transactionId`, `caseId`. */
export type CorrelationKeys = Partial<Record<'transactionId' | 'caseId', unknown>>

/** The middlewares above, in their order; `correlate` names what the event is about. */
export function telemetryMiddlewares<TEvent>(telemetry: Telemetry, correlate?: (event: TEvent) => CorrelationKeys): Array<MiddlewareObj<TEvent>> {
  const { logger, metrics, tracer } = telemetry
  return [
    captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj<TEvent>,
    injectLambdaContext(logger, { logEvent: false, resetKeys: true }) as MiddlewareObj<TEvent>,
    {
      before: (request) => {
        if (correlate) logger.appendKeys(correlationKeys(correlate(request.event)))
      },
    },
    logMetrics(metrics, { captureColdStartMetric: true }) as MiddlewareObj<TEvent>,
    { onError: (request) => logger.error('invocation failed', { error: request.error as Error }) },
  ]
}

/**
 * Only string keys make it, card numbers masked by the PAN text policy: a path parameter is
 * whatever the caller typed, and a log line must never carry a card number.
 */
function correlationKeys(keys: CorrelationKeys): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(keys)) if (typeof value === 'string' && value !== '') out[name] = redactPans(value, 128)
  return out
}

const emptyMetricsNotice = 'No application metrics to publish'

/**
 * Powertools' warnings about metrics as log lines, except its notice that an invocation recorded
 * none: most API requests and case tasks record none, which is normal, not worth a line each.
 */
function metricsWarnings(logger: Logger) {
  return {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) => (message.startsWith(emptyMetricsNotice) ? logger.debug(message) : logger.warn(message)),
    error: (message: string) => logger.error(message),
  }
}

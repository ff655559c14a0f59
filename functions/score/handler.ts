import { SFNClient } from '@aws-sdk/client-sfn'
import { dynamoDbClient } from '../aws/clients.ts'
import { createTelemetry, serviceNames } from '../aws/telemetry.ts'
import { scorerConfigSchema } from './config.ts'
import { scorerAdapters } from './dependencies.ts'
import { scorerHandler } from './scorer-handler.ts'
import { tokenizationKeyMiddleware } from './tokenization-key.ts'

const telemetry = createTelemetry(serviceNames.scorer)
const { tracer } = telemetry
const config = scorerConfigSchema.parse(process.env)
const deps = scorerAdapters(config, telemetry.logger, { dynamo: tracer.captureAWSv3Client(dynamoDbClient()), sfn: tracer.captureAWSv3Client(new SFNClient({})) })

export const handler = scorerHandler(deps, telemetry, tokenizationKeyMiddleware(config))

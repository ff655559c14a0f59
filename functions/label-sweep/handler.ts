import { dynamoDbClient } from '../aws/clients.ts'
import { createTelemetry, serviceNames } from '../aws/telemetry.ts'
import { labelSweepDependencies } from './dependencies.ts'
import { labelSweepHandler } from './sweep-handler.ts'

const telemetry = createTelemetry(serviceNames.labelSweep)
export const handler = labelSweepHandler(labelSweepDependencies(process.env, { dynamo: telemetry.tracer.captureAWSv3Client(dynamoDbClient()) }), telemetry)

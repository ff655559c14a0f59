import { dynamoDbClient } from '../aws/clients.ts'
import { createTelemetry, serviceNames } from '../aws/telemetry.ts'
import { labelApplierHandler } from './applier-handler.ts'
import { labelApplierDependencies } from './dependencies.ts'

const telemetry = createTelemetry(serviceNames.labelApplier)
export const handler = labelApplierHandler(labelApplierDependencies(process.env, telemetry.logger, { dynamo: telemetry.tracer.captureAWSv3Client(dynamoDbClient()) }), telemetry)

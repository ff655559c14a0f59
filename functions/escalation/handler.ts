import { dynamoDbClient } from '../aws/clients.ts'
import { createTelemetry, serviceNames } from '../aws/telemetry.ts'
import { caseTaskHandler } from './case-task-handler.ts'
import { caseTaskDependencies } from './dependencies.ts'
import { caseEventRecorder } from './metrics.ts'

const telemetry = createTelemetry(serviceNames.caseTasks)
const deps = caseTaskDependencies(process.env, {
  dynamo: telemetry.tracer.captureAWSv3Client(dynamoDbClient()),
  record: caseEventRecorder(telemetry.metrics, telemetry.logger),
})

export const handler = caseTaskHandler(deps, telemetry)

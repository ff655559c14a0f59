/**
 * One Lambda container of the scorer, as a real process: the handler module (functions/score/
 * handler.ts, with its environment, middy and its cold start) invoked over IPC by the lambda pool.
 * Killing this process mid-write is what a crashed or timed-out Lambda does to a batch.
 */
import type { Context, KinesisStreamEvent } from 'aws-lambda'

const { handler } = await import('../../functions/score/handler.ts')

const context = (requestId: string): Context =>
  ({
    functionName: 'vigil-faults-score',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:vigil-faults-score',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/vigil-faults-score',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
  }) as Context

process.on('message', (message: { id: number; event: KinesisStreamEvent }) => {
  handler(message.event, context(`invocation-${message.id}`)).then(
    (response) => process.send?.({ id: message.id, response }),
    (error: unknown) => process.send?.({ id: message.id, error: (error as Error).message ?? String(error) }),
  )
})
process.send?.({ ready: true })

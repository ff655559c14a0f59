import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn'
import type { Verdict, WorkflowPort } from '../case-api/case-commands.ts'

/** Resumes a waiting case workflow with Step Functions' SendTaskSuccess. */
export class StepFunctionsWorkflow implements WorkflowPort {
  private readonly client: SFNClient

  constructor(client: SFNClient) {
    this.client = client
  }

  async resume(taskToken: string, verdict: Verdict): Promise<'resumed' | 'stale'> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(verdict) }))
      return 'resumed'
    } catch (error) {
      const name = (error as { name?: string }).name
      if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist') return 'stale'
      throw error
    }
  }
}

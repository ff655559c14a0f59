import { createHash } from 'node:crypto'
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn'
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Decision } from '../core/decision.ts'
import type { Transaction } from '../core/transaction.ts'
import type { EscalationPort } from '../score/ports.ts'

/**
 * The execution (and case) name of a transaction: deterministic, so a repeated start is a no-op.
 * Names allow 80 characters of [A-Za-z0-9_-]; a short hash keeps distinct ids distinct.
 */
export function caseId(transactionId: string): string {
  const readable = transactionId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)
  return `case-${readable}-${createHash('sha256').update(transactionId).digest('hex').slice(0, 12)}`
}

/** Starts the escalation state machine, one execution per transaction. */
export class StepFunctionsEscalation implements EscalationPort {
  private readonly client: SFNClient
  private readonly stateMachineArn: string

  constructor(client: SFNClient, stateMachineArn: string) {
    this.client = client
    this.stateMachineArn = stateMachineArn
  }

  async escalate(decision: Decision, transaction: Transaction): Promise<void> {
    try {
      const input = JSON.stringify({ decision, transaction })
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: caseId(decision.transactionId), input }))
    } catch (error) {
      // Same name, same input: Step Functions already returned success; another input means a
      // second decision for one transaction, which the decision table rules out.
      if ((error as { name?: string }).name !== 'ExecutionAlreadyExists') throw error
    }
  }
}

/**
 * Until the case workflow is deployed, escalations are logged: a structured line per review or
 * block (transaction id, outcome, score, rules), so nothing escalated is silent.
 */
export class LoggedEscalation implements EscalationPort {
  private readonly logger: Logger

  constructor(logger: Logger) {
    this.logger = logger
  }

  async escalate(decision: Decision): Promise<void> {
    this.logger.warn('escalation pending: no case workflow configured', {
      transactionId: decision.transactionId,
      outcome: decision.outcome,
      score: decision.score,
      rules: decision.rules.filter((r) => r.status === 'fired').map((r) => r.id),
    })
  }
}

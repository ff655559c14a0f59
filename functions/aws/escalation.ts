import { createHash } from 'node:crypto'
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn'
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Decision } from '../core/decision.ts'
import type { Transaction } from '../core/transaction.ts'
import type { EscalationPort } from '../score/ports.ts'

/**
 * The execution (and case) name of a transaction: deterministic, so a repeated start is a no-op.
 * None of the id's text: the case id is the execution name, which reaches execution logs, the
 * supervisors' e-mail and API responses. 128 bits of its SHA-256 keep distinct ids apart; an
 * unkeyed hash is safe here because an id that could be a PAN never gets this far (the parser
 * quarantines it as `pan_in_identifier`). Written in 16 letters, not hex: no digits, so no run
 * of them a scan could take for a card number.
 */
export function caseId(transactionId: string): string {
  const digest = createHash('sha256').update(transactionId).digest().subarray(0, 16)
  let name = 'case-'
  for (const byte of digest) name += letters[byte >> 4]! + letters[byte & 15]!
  return name
}

const letters = 'abcdefghijklmnop'

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

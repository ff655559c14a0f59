import { durationSchema } from '../functions/core/features/definition.ts'
import type { KeyId } from '../functions/core/card-token.ts'
import type { Keyring } from '../functions/core/keyring.ts'
import type { HistoricalLabel } from '../functions/core/labels/label.ts'
import type { CompiledRuleSet } from '../functions/core/rules/compile.ts'
import { readLabels } from './labels.ts'
import { formatIssues, loadRuleSet } from './rule-set-file.ts'
import { developmentKeyId, tokenizationKeyring } from './tokenization-key.ts'
import { UsageError } from './usage-error.ts'

/** The options of every command that replays a history (backtest, features), for `parseArgs`. */
export const replayOptions = {
  rules: { type: 'string' },
  input: { type: 'string' },
  out: { type: 'string' },
  labels: { type: 'string' },
  'label-delay': { type: 'string' },
  /** A model file the rule set names (repeatable). */
  model: { type: 'string', multiple: true },
  'allow-development-key': { type: 'boolean', default: false },
} as const

export interface ReplayInput {
  ruleSet: CompiledRuleSet
  input: string
  out: string
  labels: HistoricalLabel[] | undefined
  labelDelayMs: number | undefined
  keyring: Keyring
  /** Set when card numbers would be tokenized with the public development key and that was not allowed. */
  refusedKeyId: KeyId | undefined
  development: boolean
}

/**
 * Checks and loads what a replay reads: the rule set (1 and its issues on stderr when it is not
 * one), the labels (read before the history is opened, whose lines flow as soon as it is), the
 * tokenization keyring. Bad usage throws a UsageError with the command's usage.
 */
export async function loadReplayInput(
  command: string,
  usage: string,
  values: { rules?: string; input?: string; out?: string; labels?: string; 'label-delay'?: string; model?: string[]; 'allow-development-key'?: boolean },
): Promise<ReplayInput | 1> {
  if (!values.rules || !values.input || !values.out) throw new UsageError(`${command} needs --rules, --input and --out`, usage)
  const labelDelay = values['label-delay'] === undefined ? undefined : durationSchema.safeParse(values['label-delay'])
  if (labelDelay && !labelDelay.success) throw new UsageError('--label-delay must be a duration like 7d', usage)
  if (labelDelay && !values.labels) throw new UsageError('--label-delay needs --labels', usage)
  const ruleSet = await loadRuleSet(values.rules, values.model)
  if (!ruleSet.ok) {
    process.stderr.write(`${values.rules} is not a valid rule set:\n${formatIssues(ruleSet.error)}\n`)
    return 1
  }
  const labels = values.labels ? await readLabels(values.labels) : undefined
  const { keyring, development } = tokenizationKeyring()
  return {
    ruleSet: ruleSet.value,
    input: values.input,
    out: values.out,
    labels,
    labelDelayMs: labelDelay?.data,
    keyring,
    refusedKeyId: development && !values['allow-development-key'] ? developmentKeyId : undefined,
    development,
  }
}

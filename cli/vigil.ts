#!/usr/bin/env node
import { backtest, backtestUsage } from './commands/backtest.ts'
import { features, featuresUsage } from './commands/features.ts'
import { labels, labelsUsage } from './commands/labels.ts'
import { model, modelUsage } from './commands/model.ts'
import { start, startUsage } from './commands/start.ts'
import { token, tokenUsage } from './commands/token.ts'
import { train, trainUsage } from './commands/train.ts'
import { validateRules, validateRulesUsage } from './commands/validate-rules.ts'
import { ApiError } from './api-client.ts'
import { UsageError } from './usage-error.ts'

const commands: Record<string, { run: (args: string[]) => Promise<number>; usage: string }> = {
  start: { run: start, usage: startUsage },
  backtest: { run: backtest, usage: backtestUsage },
  'validate-rules': { run: validateRules, usage: validateRulesUsage },
  token: { run: token, usage: tokenUsage },
  labels: { run: labels, usage: labelsUsage },
  features: { run: features, usage: featuresUsage },
  model: { run: model, usage: modelUsage },
  train: { run: train, usage: trainUsage },
}

const help = `vigil: serverless fraud detection for payment streams

Commands:
${Object.values(commands)
  .map((c) => `  ${c.usage.split('\n')[0]}`)
  .join('\n')}

vigil help COMMAND shows a command's details.`

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && args[0] ? commands[args[0]] : undefined
    process.stdout.write(`${topic ? topic.usage : help}\n`)
    return 0
  }
  const command = commands[name]
  if (!command) {
    process.stderr.write(`vigil: unknown command "${name}"\n\n${help}\n`)
    return 2
  }
  try {
    return await command.run(args)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`vigil ${name}: ${(error as Error).message}\n\n${command.usage}\n`)
      return 2
    }
    if (error instanceof ApiError) {
      process.stderr.write(`vigil ${name}: ${error.message}\n`)
      return 1
    }
    throw error
  }
}

process.exitCode = await main(process.argv.slice(2))

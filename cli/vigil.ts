#!/usr/bin/env node
import { ApiError } from './api-client.ts'
import { UsageError } from './usage-error.ts'

interface Command {
  run: (args: string[]) => Promise<number>
  usage: string
}

/**
 * Each command's module is loaded when it runs: `vigil validate-rules` need not load the local
 * runtime's emulators, nor `vigil token` the scoring core (half the start-up time of a command).
 */
const commands: Record<string, () => Promise<Command>> = {
  start: async () => ((m) => ({ run: m.start, usage: m.startUsage }))(await import('./commands/start.ts')),
  backtest: async () => ((m) => ({ run: m.backtest, usage: m.backtestUsage }))(await import('./commands/backtest.ts')),
  'validate-rules': async () => ((m) => ({ run: m.validateRules, usage: m.validateRulesUsage }))(await import('./commands/validate-rules.ts')),
  token: async () => ((m) => ({ run: m.token, usage: m.tokenUsage }))(await import('./commands/token.ts')),
  labels: async () => ((m) => ({ run: m.labels, usage: m.labelsUsage }))(await import('./commands/labels.ts')),
  features: async () => ((m) => ({ run: m.features, usage: m.featuresUsage }))(await import('./commands/features.ts')),
  model: async () => ((m) => ({ run: m.model, usage: m.modelUsage }))(await import('./commands/model.ts')),
  train: async () => ((m) => ({ run: m.train, usage: m.trainUsage }))(await import('./commands/train.ts')),
}

async function help(): Promise<string> {
  const all = await Promise.all(Object.values(commands).map((load) => load()))
  return `vigil: serverless fraud detection for payment streams

Commands:
${all.map((c) => `  ${c.usage.split('\n')[0]}`).join('\n')}

vigil help COMMAND shows a command's details.`
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && args[0] ? commands[args[0]] : undefined
    process.stdout.write(`${topic ? (await topic()).usage : await help()}\n`)
    return 0
  }
  const load = commands[name]
  if (!load) {
    process.stderr.write(`vigil: unknown command "${name}"\n\n${await help()}\n`)
    return 2
  }
  const command = await load()
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

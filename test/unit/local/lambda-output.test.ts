import { afterEach, describe, expect, it, vi } from 'vitest'
import { captureLambdaOutput } from '../../../local/lambda-output.ts'

afterEach(() => vi.restoreAllMocks())

describe('a handler’s output captured in process', () => {
  it('goes to the sink of its run, line by line, and nowhere else', async () => {
    const terminal: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (terminal.push(String(chunk)), true))
    const output = captureLambdaOutput()
    const sunk: string[] = []
    await output.run((line) => sunk.push(line), async () => {
      process.stdout.write('{"level":"INFO"}\n{"_aws":{}}\n')
      await new Promise((resolve) => setTimeout(resolve, 1))
      process.stdout.write('after a timer\n')
    })
    process.stdout.write('outside\n')
    output.release()
    expect(sunk).toEqual(['{"level":"INFO"}', '{"_aws":{}}', 'after a timer'])
    expect(terminal).toEqual(['outside\n'])
  })

  it('lets a sink write to the terminal without feeding its own line back to itself', async () => {
    const terminal: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (terminal.push(String(chunk)), true))
    const output = captureLambdaOutput()
    const echo = (line: string) => void process.stdout.write(`handler: ${line}\n`)
    await output.run(echo, async () => void process.stdout.write('{"level":"WARN","message":"record quarantined"}\n'))
    output.release()
    expect(terminal).toEqual(['handler: {"level":"WARN","message":"record quarantined"}\n'])
  })
})

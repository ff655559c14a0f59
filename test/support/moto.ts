import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Emulators } from '../../local/emulators.ts'

/** moto 5's server is on some machines (not every user's): the optional second-opinion tier. */
export const hasMotoServer = spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/**
 * Starts `moto_server` on a free loopback port: one endpoint serving DynamoDB, Kinesis and Step
 * Functions, an independent implementation of the same wire protocols as our emulators.
 * `MOTO_PORT` tells moto's own state-machine interpreter where to call back (default 5000).
 */
export async function startMoto(): Promise<Emulators> {
  const port = await freePort()
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env: { ...process.env, MOTO_PORT: String(port) } })
  const endpoint = `http://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break
    } catch {
      if (attempt > 100 || child.exitCode !== null) throw new Error('moto_server did not start')
    }
    await sleep(100)
  }
  return {
    dynamoEndpoint: endpoint,
    kinesisEndpoint: endpoint,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill()
        await new Promise((resolve) => child.once('exit', resolve))
      }
    },
  }
}

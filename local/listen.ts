import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * Starts `server` on `port` (0: any free one) and `host`; rejects if it cannot (the port taken).
 * The 'error' listener is removed once it listens, so a later error is not taken for this one.
 */
export async function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server.address() as AddressInfo
}

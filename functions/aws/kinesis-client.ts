import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { configuredEndpoint, defaults, type Env } from './clients.ts'

/** An HTTP/1.1 handler with keep-alive, for endpoints that do not speak HTTP/2 (kinesalite). */
function http1Handler(): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
    connectionTimeout: 5_000,
  })
}

/**
 * A Kinesis client for producers (the local runtime, tests, benches), with the defaults of
 * ./clients.ts. The client's default handler is `NodeHttp2Handler` for every operation; kinesalite
 * is HTTP/1.1 only and the call fails with `ERR_HTTP2_ERROR`. So when an endpoint override is in
 * effect (explicit `endpoint` or an `AWS_ENDPOINT_URL…` variable) it speaks HTTP/1.1 with
 * keep-alive; without one (real AWS) the SDK default, HTTP/2, stays.
 */
export function createKinesisClient(config: KinesisClientConfig = {}, env: Env = process.env): KinesisClient {
  const overridden = config.endpoint !== undefined || configuredEndpoint('KINESIS', env) !== undefined
  const handler = overridden && config.requestHandler === undefined ? { requestHandler: http1Handler() } : {}
  return new KinesisClient({ ...config, ...defaults('KINESIS', config, env), ...handler })
}

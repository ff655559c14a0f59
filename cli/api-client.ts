import { defaultDataDir, devSigningKey, signDevToken, type DevGroup } from '../local/dev-tokens.ts'
import { defaultPorts } from '../local/ports.ts'
import { UsageError } from './usage-error.ts'

export const localApi = `http://127.0.0.1:${defaultPorts.api}`

/** The options of every command that calls the case API, for `parseArgs`. */
export const apiOptions = {
  api: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string', default: defaultDataDir },
} as const

/** How those options read in a usage text; `who` says whose dev token a local API gets. */
export const apiUsage = (who: string) => `--api URL       the API's base URL (env VIGIL_API_URL); default the local runtime's, ${localApi}
--token TOKEN   a bearer token (env VIGIL_API_TOKEN). Without one, a local API gets a dev token
                for ${who}, signed with <data-dir>/dev-jwks.json (default ${defaultDataDir}); a
                deployed one needs --token.`

/** The API refused a request as a whole (a token, a route, a limit), or could not be reached. */
export class ApiError extends Error {
  readonly code = 'api'
  readonly status: number | undefined
  constructor(message: string, status?: number) {
    super(message)
    this.status = status
  }
}

export interface ApiClient {
  readonly api: string
  /** Sends a request; 429, 5xx and network errors are retried when `idempotent`. Any other status comes back as it is. */
  send(method: string, path: string, body?: unknown, options?: { idempotent?: boolean }): Promise<{ status: number; body: unknown }>
}

const attempts = 4

/**
 * A client of the case API from the command's options: the URL (--api, VIGIL_API_URL, else the
 * local runtime's) and the token (--token, VIGIL_API_TOKEN, else, for a local API only, a dev token
 * for `local` signed with the local key).
 */
export async function apiClient(values: { api?: string; token?: string; 'data-dir'?: string }, usage: string, local: { username: string; group: DevGroup }): Promise<ApiClient> {
  const api = (values.api ?? process.env.VIGIL_API_URL ?? localApi).replace(/\/+$/, '')
  if (!/^https?:\/\//.test(api)) throw new UsageError('--api must be an http(s) URL', usage)
  let token = values.token ?? process.env.VIGIL_API_TOKEN
  if (token === undefined) {
    const host = new URL(api).hostname
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') throw new UsageError(`--token (or VIGIL_API_TOKEN) is required for ${api}`, usage)
    token = await signDevToken(await devSigningKey({ dataDir: values['data-dir'] ?? defaultDataDir }), { username: local.username, groups: [local.group] })
  }
  return {
    api,
    async send(method, path, body, options = {}) {
      for (let attempt = 1; ; attempt++) {
        let response: Response
        try {
          response = await fetch(`${api}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          })
        } catch (error) {
          if (options.idempotent && attempt < attempts) {
            await backoff(attempt)
            continue
          }
          throw new ApiError(`${api} is unreachable (${(error as Error).message}); is \`npm start\` running, or is --api right?`)
        }
        const text = await response.text()
        if ((response.status === 429 || response.status >= 500) && options.idempotent && attempt < attempts) {
          await backoff(attempt)
          continue
        }
        let parsed: unknown = text
        try {
          parsed = JSON.parse(text)
        } catch {
          // Not JSON (a gateway's plain error): kept as text for the message.
        }
        return { status: response.status, body: parsed }
      }
    },
  }
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt * Math.random()))

/** An error for an answer the command did not expect: the problem's detail and issues, or API Gateway's message. */
export function unexpected(method: string, client: ApiClient, path: string, answer: { status: number; body: unknown }): ApiError {
  const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as { detail?: string; message?: string; issues?: Array<{ path: string; message: string }> }
  const issues = (body.issues ?? []).map((issue) => `${issue.path}: ${issue.message}`)
  const detail = body.detail ?? body.message ?? (typeof answer.body === 'string' ? answer.body.slice(0, 200) : JSON.stringify(answer.body))
  return new ApiError(`${method} ${client.api}${path} answered ${answer.status}: ${[detail, ...issues].join('; ')}`, answer.status)
}

import { parseArgs } from 'node:util'
import {
  defaultDataDir,
  devAudience,
  devClients,
  devGroups,
  devIssuer,
  devJwksPath,
  devSigningKey,
  lifetimeSeconds,
  signDevClientToken,
  signDevToken,
  type DevClient,
  type DevGroup,
} from '../../local/dev-tokens.ts'
import { UsageError } from '../usage-error.ts'

export const tokenUsage = `vigil token --role analyst|supervisor [--user NAME] [--expires 1h] [--id-token] [--data-dir DIR]
       vigil token --client ${Object.keys(devClients).join('|')} [--expires 1h] [--data-dir DIR]

Prints a development JWT for the local case API, shaped like a Cognito user pool token: the user
(default: the role's name) in the role's group ("cognito:groups"), issuer ${devIssuer},
audience ${devAudience}. It is signed with the local key in <data-dir>/dev-jwks.json (default
${defaultDataDir}), created on first use; the local API server trusts that key, and no deployed API does.
An access token (user in "username", audience in "client_id"), the only kind the API accepts;
--id-token prints an ID token instead (user in "cognito:username", audience in "aud"), which the
API refuses (403): for testing that refusal. --expires takes seconds or 15m, 1h, 7d
(default 1h, as Cognito).

--client prints a machine client's access token instead, as the user pool issues it for the client
credentials grant: no user, no group, "client_id" and "sub" the client's id, "scope" what the
client is allowed (chargeback-feed: ${devClients['chargeback-feed'].scopes.join(' ')}, which admits it to POST /labels and
nothing else).

  curl -H "Authorization: Bearer $(npx vigil token --role analyst)" http://127.0.0.1:PORT/cases`

export async function token(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      client: { type: 'string' },
      user: { type: 'string' },
      expires: { type: 'string', default: '1h' },
      'id-token': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: defaultDataDir },
    },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, tokenUsage)
  let expiresIn: number
  try {
    expiresIn = lifetimeSeconds(values.expires)
  } catch {
    throw new UsageError('--expires must be seconds or a duration like 15m, 1h, 7d', tokenUsage)
  }
  const client = values.client
  if (client !== undefined) {
    if (values.role !== undefined || values.user !== undefined || values['id-token']) throw new UsageError('--client takes no --role, --user or --id-token: a machine client has no user', tokenUsage)
    if (!Object.hasOwn(devClients, client)) throw new UsageError(`--client must be one of ${Object.keys(devClients).join(', ')}`, tokenUsage)
  } else if (!values.role || !(devGroups as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${devGroups.join(', ')} (or --client NAME)`, tokenUsage)
  const username = values.user ?? values.role ?? ''
  if (client === undefined && !/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(username)) throw new UsageError('--user must be 1 to 128 characters without spaces', tokenUsage)

  const key = await devSigningKey({ dataDir: values['data-dir'] })
  const jwt =
    client !== undefined
      ? await signDevClientToken(key, { client: client as DevClient, expiresIn })
      : await signDevToken(key, { username, groups: [values.role as DevGroup], expiresIn, tokenUse: values['id-token'] ? 'id' : 'access' })
  // The token alone on stdout, so that $(vigil token …) is the token; where it came from on stderr.
  process.stdout.write(`${jwt}\n`)
  const whose = client !== undefined ? `machine client ${client} (${devClients[client as DevClient].clientId})` : `${values.role} token for ${username}`
  if (process.stderr.isTTY) process.stderr.write(`${whose}, valid ${expiresIn} s, signed with ${devJwksPath(values['data-dir'])} (kid ${key.kid})\n`)
  return 0
}

import { describe, expect, it } from 'vitest'
import { callerOf, groupsOf, hasRole } from '../../../functions/case-api/identity.ts'

describe('groupsOf: every form a cognito:groups claim arrives in', () => {
  it.each([
    [['analyst', 'supervisor'], ['analyst', 'supervisor']],
    ['[analyst supervisor]', ['analyst', 'supervisor']],
    ['[analyst]', ['analyst']],
    ['analyst supervisor', ['analyst', 'supervisor']],
    ['analyst,supervisor', ['analyst', 'supervisor']],
    ['analyst, supervisor', ['analyst', 'supervisor']],
    ['["analyst","supervisor"]', ['analyst', 'supervisor']],
    ['supervisor', ['supervisor']],
    ['', []],
    ['[]', []],
    [undefined, []],
    [42, []],
    [[' analyst ', 7, ''], ['analyst']],
  ])('%j → %j', (claim, groups) => {
    expect(groupsOf(claim)).toEqual(groups)
  })
})

describe('callerOf', () => {
  const access = { token_use: 'access' } as const

  it('401 without claims or without a user name', () => {
    expect(callerOf(undefined)).toMatchObject({ ok: false, status: 401 })
    expect(callerOf({})).toMatchObject({ ok: false, status: 401 })
    expect(callerOf({ ...access, 'cognito:groups': ['analyst'] })).toMatchObject({ ok: false, status: 401 })
    expect(callerOf({ ...access, username: 'x'.repeat(129), 'cognito:groups': ['analyst'] })).toMatchObject({ ok: false, status: 401 })
  })

  it('401 for anything but an access token: an ID token, or no token_use at all', () => {
    const supervisor = { sub: 's', 'cognito:username': 'sam', 'cognito:groups': '[supervisor]' }
    expect(callerOf({ ...supervisor, token_use: 'id', aud: 'client' })).toMatchObject({ ok: false, status: 401, detail: expect.stringContaining('access token') })
    expect(callerOf(supervisor)).toMatchObject({ ok: false, status: 401 })
    expect(callerOf({ ...supervisor, token_use: 'ACCESS' })).toMatchObject({ ok: false, status: 401 })
    expect(callerOf({ ...supervisor, ...access })).toMatchObject({ ok: true, actor: { username: 'sam', role: 'supervisor' } })
  })

  it('403 for a user in neither group; substrings of a group do not count', () => {
    expect(callerOf({ ...access, sub: 's', username: 'eve' })).toMatchObject({ ok: false, status: 403 })
    expect(callerOf({ ...access, sub: 's', username: 'eve', 'cognito:groups': '[analysts supervisors-readonly]' })).toMatchObject({ ok: false, status: 403 })
  })

  it('names the user by username, then cognito:username, then sub; supervisor wins over analyst', () => {
    expect(callerOf({ ...access, sub: 's1', username: 'ana', 'cognito:username': 'other', 'cognito:groups': ['analyst'] })).toMatchObject({ ok: true, actor: { username: 'ana', role: 'analyst' }, subject: 's1' })
    expect(callerOf({ ...access, sub: 's2', 'cognito:username': 'bob', 'cognito:groups': '[analyst supervisor]' })).toMatchObject({ ok: true, actor: { username: 'bob', role: 'supervisor' } })
    expect(callerOf({ ...access, sub: 'only-sub', 'cognito:groups': 'analyst' })).toMatchObject({ ok: true, actor: { username: 'only-sub', role: 'analyst' } })
  })

  it('a client-credentials token (sub = client_id, no user, no group) is a machine client with its scopes', () => {
    const client = { ...access, sub: 'feed', client_id: 'feed', scope: 'vigil-api/labels.write other' }
    expect(callerOf(client)).toEqual({ ok: true, kind: 'client', clientId: 'feed', scopes: ['vigil-api/labels.write', 'other'] })
    // Anything naming a user is a user's token, judged by its groups.
    expect(callerOf({ ...client, username: 'feed' })).toMatchObject({ ok: false, status: 403 })
    expect(callerOf({ ...client, 'cognito:groups': '[analyst]' })).toMatchObject({ ok: true, kind: 'user', actor: { username: 'feed', role: 'analyst' } })
    expect(callerOf({ ...client, sub: 'someone-else' })).toMatchObject({ ok: false, status: 403 })
    expect(callerOf({ ...client, token_use: 'id' })).toMatchObject({ ok: false, status: 401 })
  })

  it('a supervisor may do what an analyst may, not the reverse', () => {
    expect(hasRole('supervisor', 'analyst')).toBe(true)
    expect(hasRole('supervisor', 'supervisor')).toBe(true)
    expect(hasRole('analyst', 'analyst')).toBe(true)
    expect(hasRole('analyst', 'supervisor')).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { contextKeys } from '../../lib/config.ts'
import { scorerConfigSchema } from '../../functions/score/config.ts'
import { synth } from '../support/synth.ts'

const scorerEnvironment = (context: Record<string, unknown> = {}) => {
  const { resource, stack } = synth(context)
  return resource(stack.scoring.scorer).Properties.Environment.Variables as Record<string, unknown>
}

describe('event-time bounds of the scorer (issue 11 item 6)', () => {
  it('allow a minute ahead of arrival and no maximum age of their own by default (the rule set bounds it)', () => {
    const env = scorerEnvironment()
    expect(env.VIGIL_EVENT_MAX_AHEAD_SECONDS).toBe('60')
    expect(env).not.toHaveProperty('VIGIL_EVENT_MAX_AGE_SECONDS')
  })

  it('come from context as the scorer reads them', () => {
    const env = scorerEnvironment({ [contextKeys.eventMaxAheadSeconds]: '300', [contextKeys.eventMaxAgeSeconds]: 86_400 })
    expect(env).toMatchObject({ VIGIL_EVENT_MAX_AHEAD_SECONDS: '300', VIGIL_EVENT_MAX_AGE_SECONDS: '86400' })
    expect(scorerConfigSchema.pick({ VIGIL_EVENT_MAX_AHEAD_SECONDS: true, VIGIL_EVENT_MAX_AGE_SECONDS: true }).parse(env)).toEqual({
      VIGIL_EVENT_MAX_AHEAD_SECONDS: 300,
      VIGIL_EVENT_MAX_AGE_SECONDS: 86_400,
    })
  })

  it.each([
    [{ [contextKeys.eventMaxAheadSeconds]: -1 }, /vigil:eventMaxAheadSeconds must be an integer from 0 to 3600/],
    [{ [contextKeys.eventMaxAheadSeconds]: '86400' }, /vigil:eventMaxAheadSeconds must be an integer from 0 to 3600/],
    [{ [contextKeys.eventMaxAgeSeconds]: 0 }, /vigil:eventMaxAgeSeconds must be an integer from 60 to 34560000/],
    [{ [contextKeys.eventMaxAgeSeconds]: 'a month' }, /vigil:eventMaxAgeSeconds must be an integer/],
  ])('refuse to synthesize with %j', (context, message) => {
    expect(() => synth(context)).toThrow(message)
  })
})

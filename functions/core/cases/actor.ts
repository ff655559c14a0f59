import * as z from 'zod'

export const actorRoles = ['analyst', 'supervisor', 'system'] as const

/** A user name from the API's JWT, or the workflow's own name for the system. */
export const usernameSchema = z.string().min(1).max(128)

/** Who does something to a case; the role decides what they may do. */
export const actorSchema = z.strictObject({
  username: usernameSchema,
  role: z.enum(actorRoles),
})
export type Actor = z.infer<typeof actorSchema>
export type ActorRole = Actor['role']

/** The escalation workflow: it escalates, expires, blocks and unblocks, but never claims or decides. */
export const systemActor: Actor = { username: 'vigil', role: 'system' }

import { z } from 'zod'
import { defineSession } from 'typed-sessions'
import { createAuth } from 'typed-sessions/auth'

/** A session with a login, a CSRF secret and a counter, for the auth helper tests. */
export const loginSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    user: z.object({ id: z.string(), authHash: z.string().optional() }).optional(),
    csrf: z.string().optional(),
  })
)

/** A user of the test directory. */
export interface TestUser {
  id: string
  name: string
  version: number
  disabled: boolean
}

/**
 * A user directory and `createAuth` over it; `loads` counts the calls of `loadUser`, and
 * `failLoads` makes them throw (the user database is down).
 */
export function testAuth() {
  const users = new Map<string, TestUser>([
    ['ada', { id: 'ada', name: 'Ada', version: 1, disabled: false }],
    ['bob', { id: 'bob', name: 'Bob', version: 1, disabled: false }],
  ])
  const state = { loads: 0, failLoads: false }
  const auth = createAuth({
    definition: loginSession,
    userKey: 'user',
    idOf: (user: TestUser) => user.id,
    loadUser: async (id) => {
      state.loads++
      if (state.failLoads) throw new Error('the user database is down')
      const user = users.get(id)
      return user?.disabled === false ? user : undefined
    },
    authHash: (user) => `v${user.version}`,
  })
  return { auth, users, state }
}

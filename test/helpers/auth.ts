import { createAuth } from 'typed-sessions/auth'
import { loginSession } from '../../schemas/login-session.js'
import type { TestUser } from '../../src/testing/per-user-app.js'

export { loginSession }
// The user of the per-user suite's directory (src/testing/).
export type { TestUser } from '../../src/testing/per-user-app.js'

/**
 * A user directory and `createAuth` over it; `loads` counts the calls of `loadUser`, and
 * `failLoads` makes them throw (the user database is down).
 */
export function testAuth() {
  const users = new Map<string, TestUser>([
    ['ada', { id: 'ada', name: 'Ada', version: 1, disabled: false, role: 'admin' }],
    ['bob', { id: 'bob', name: 'Bob', version: 1, disabled: false, role: 'member' }],
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

import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, handleOf, MemoryStore } from 'typed-sessions'
import { createAuth, type SessionsPerUserOptions } from 'typed-sessions/auth'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { seedLogin } from 'typed-sessions/testing'
import { rejectionOf } from '../helpers/errors.js'
import { SECRET } from '../helpers/http.js'
import { listen, type ServedApp } from '../helpers/server.js'

// `seedLogin` (issue 17 item 6, Django's `force_login`): a logged-in user's cookie, through
// `auth.login` on a new session: the id and auth hash stored, the session bound to its user.

const accountSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    user: z.object({ id: z.string(), authHash: z.string().optional() }).optional(),
  })
)

interface User {
  id: string
  name: string
  passwordVersion: number
}

const deviceFields = z.object({ device: z.string().optional() })

/** An account app: who is logged in (`/me`, behind `requireUser`), and a counter. */
function accountApp(sessionsPerUser: SessionsPerUserOptions<typeof deviceFields> = {}) {
  const users = new Map<string, User>([
    ['ada', { id: 'ada', name: 'Ada', passwordVersion: 1 }],
    ['bob', { id: 'bob', name: 'Bob', passwordVersion: 1 }],
  ])
  const store = new MemoryStore()
  const auth = createAuth({
    definition: accountSession,
    userKey: 'user',
    idOf: (user: User) => user.id,
    loadUser: (id) => users.get(id),
    authHash: (user) => `v${user.passwordVersion}`,
    sessionsPerUser: { fields: deviceFields, ...sessionsPerUser },
  })
  const sessions = sessionMiddleware(accountSession, { secret: SECRET, store })
  const app = new Hono<SessionEnv<typeof accountSession>>().use(sessions)
  app.get('/me', auth.requireUser(), async (c) => {
    const counter = await c.var.session.get('counter')
    return c.text(`${c.var.user.name} (${counter})`)
  })
  const me = async (cookie: string) => {
    const response = await app.request('/me', { headers: { cookie } })
    return `${response.status} ${await response.text()}`
  }
  return { app, sessions, store, auth, users, me }
}

describe('seedLogin', () => {
  it("gives a logged-in user's cookie: requireUser lets it in", async () => {
    const { sessions, auth, users, me } = accountApp()
    const { cookie } = await seedLogin(sessions, { auth, user: users.get('ada')! })
    expect(await me(cookie)).toBe('200 Ada (0)')
    expect(await me('')).toMatch(/^401 /)
  })

  it('binds the session to its user with its fields, as a login route would', async () => {
    const { sessions, store, auth, users } = accountApp()
    const seeded = await seedLogin(sessions, {
      auth,
      user: users.get('ada')!,
      fields: { device: 'test laptop' },
    })
    const listed = await auth.sessionsOf(store, 'ada')
    expect(listed.map((info) => [info.handle, info.device])).toEqual([
      [handleOf(seeded.recordKey), 'test laptop'],
    ])
    expect((await store.load(seeded.recordKey))?.data['user']).toEqual({
      id: 'ada',
      authHash: 'v1',
    })
  })

  it('stores the auth hash: a password change logs the seeded session out', async () => {
    const { sessions, auth, users, me } = accountApp()
    const ada = users.get('ada')!
    const { cookie } = await seedLogin(sessions, { auth, user: ada })
    expect(await me(cookie)).toBe('200 Ada (0)')
    ada.passwordVersion = 2
    expect(await me(cookie)).toMatch(/^401 /)
  })

  it('seeds data beside the login, from the definition and the options', async () => {
    const { store, auth, users, me } = accountApp()
    const { cookie } = await seedLogin(accountSession, {
      secret: SECRET,
      store,
      auth,
      user: users.get('bob')!,
      data: { counter: 3 },
    })
    expect(await me(cookie)).toBe('200 Bob (3)')
  })

  it("applies sessionsPerUser's limit: 'refuse' refuses a login past it, 'end-oldest' ends the oldest", async () => {
    const refusing = accountApp({ limit: 1, whenFull: 'refuse' })
    const ada = refusing.users.get('ada')!
    const first = await seedLogin(refusing.sessions, { auth: refusing.auth, user: ada })
    const refused = await rejectionOf(
      seedLogin(refusing.sessions, { auth: refusing.auth, user: ada })
    )
    expect(refused).toMatchObject({ code: 'SESSION_LIMIT' })
    expect(await refusing.me(first.cookie)).toBe('200 Ada (0)')

    const ending = accountApp({ limit: 1, whenFull: 'end-oldest' })
    const user = ending.users.get('ada')!
    const oldest = await seedLogin(ending.sessions, { auth: ending.auth, user })
    const newest = await seedLogin(ending.sessions, { auth: ending.auth, user })
    expect(await ending.me(oldest.cookie)).toMatch(/^401 /)
    expect(await ending.me(newest.cookie)).toBe('200 Ada (0)')
  })
})

describe('a seeded login over a real server', () => {
  const { app, sessions, auth, users } = accountApp()
  let server: ServedApp
  beforeAll(async () => {
    server = await listen(app)
  })
  afterAll(() => server.close())

  it('is let in by the served app', async () => {
    const { cookie } = await seedLogin(sessions, { auth, user: users.get('ada')! })
    const response = await fetch(`${server.url}/me`, { headers: { cookie } })
    expect(`${response.status} ${await response.text()}`).toBe('200 Ada (0)')
  })
})

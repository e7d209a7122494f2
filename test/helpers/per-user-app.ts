import { z } from 'zod'
import { MemoryStore, isSessionError, type SessionStore } from 'typed-sessions'
import { createAuth, type SessionsPerUserOptions } from 'typed-sessions/auth'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { loginSession, type TestUser } from './auth.js'
import { CookieJar, sessionApp } from './http.js'

/** The fields the per-user tests give each session: a device name. */
export const deviceFields = z.object({ deviceName: z.string().min(1).optional() })

/** Options of `perUserApp`. */
export interface PerUserAppOptions {
  store?: SessionStore
  sessionsPerUser?: SessionsPerUserOptions<typeof deviceFields>
  middleware?: Partial<SessionMiddlewareOptions>
  /** Holds a route at a point, to stage a race: `hold(route)` resolves when it may go on. */
  hold?: (route: string) => Promise<void>
}

/** A clock the test moves: real time plus `offset` milliseconds. */
export function movableClock() {
  const clock = { offset: 0, now: () => Date.now() + clock.offset }
  return clock
}

/**
 * An app with the auth helpers and sessions per user, over `loginSession`. The client's IP is
 * the `X-Test-IP` header (`clientIp`), the user agent the `User-Agent` header. Routes:
 * POST /login/:id?device=…, POST /logout, POST /forget-user, GET /sessions (JSON), POST /revoke/:handle,
 * POST /revoke-others, GET /me, POST /count, GET /fresh (requireFresh(300)), POST /reauth.
 * A `SESSION_LIMIT` answers 409 with its message.
 */
export function perUserApp(options: PerUserAppOptions = {}) {
  const store = options.store ?? new MemoryStore()
  const users = new Map<string, TestUser>(
    ['ada', 'bob', 'cy'].map((id) => [
      id,
      { id, name: id, version: 1, disabled: false, role: 'member' as const },
    ])
  )
  const clock = movableClock()
  const auth = createAuth({
    definition: loginSession,
    userKey: 'user',
    idOf: (user: TestUser) => user.id,
    loadUser: (id) => users.get(id),
    authHash: (user) => `v${user.version}`,
    sessionsPerUser: { fields: deviceFields, ...options.sessionsPerUser },
    now: clock.now,
  })
  const app = sessionApp(loginSession, {
    store,
    clientIp: (c) => c.req.header('x-test-ip'),
    ...options.middleware,
  })
  const hold = options.hold ?? (async () => {})
  app.onError((error, c) =>
    isSessionError(error) && error.code === 'SESSION_LIMIT'
      ? c.text(error.message, 409)
      : c.text(`${error.name}: ${error.message}`, 500)
  )
  app.post('/login/:id', async (c) => {
    await c.var.session.get('counter')
    await hold('login')
    const deviceName = c.req.query('device')
    const fields = deviceName === undefined ? {} : { fields: { deviceName } }
    await auth.login(c.var.session, users.get(c.req.param('id'))!, fields)
    return c.text('ok')
  })
  app.post('/logout', async (c) => (await auth.logout(c.var.session), c.text('bye')))
  // A logout some apps write by hand: the user key goes, the binding stays.
  app.post('/forget-user', async (c) => (await c.var.session.delete('user'), c.text('ok')))
  app.get('/sessions', async (c) => c.json(await auth.listSessions(c.var.session)))
  app.post('/revoke-others', async (c) => c.json(await auth.revokeOtherSessions(c.var.session)))
  app.post('/revoke/:handle', async (c) =>
    c.json(await auth.revokeSession(c.var.session, c.req.param('handle')))
  )
  app.get('/me', async (c) => c.text((await auth.currentUser(c.var.session))?.name ?? 'nobody'))
  app.post('/count', async (c) => {
    await c.var.session.get('counter')
    await hold('count')
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  app.get('/fresh', auth.requireFresh(300), (c) => c.text(`fresh ${c.var.user.name}`))
  app.post('/reauth', async (c) => {
    const user = await auth.currentUser(c.var.session)
    await auth.reauthenticate(c.var.session, user!)
    return c.text('ok')
  })
  const jar = () => new CookieJar(app)
  /** Adds a user to the directory (a fresh id per test, for stores on a shared server). */
  const addUser = (id: string) => {
    users.set(id, { id, name: id, version: 1, disabled: false, role: 'member' })
    return id
  }
  return { app, store, auth, users, addUser, clock, jar }
}

/** Logs a new browser in as `id` on `app`; returns its jar. */
export async function loggedIn(
  made: ReturnType<typeof perUserApp>,
  id: string,
  headers: Record<string, string> = {},
  device?: string
) {
  const jar = made.jar()
  const query = device === undefined ? '' : `?device=${encodeURIComponent(device)}`
  const response = await jar.fetch(`/login/${id}${query}`, { method: 'POST', headers })
  if (response.status !== 200) throw new Error(`login failed: ${await response.text()}`)
  return jar
}

import { z } from 'zod/v4'
import { createAuth } from '../auth/user-auth.js'
import { csrfSecret } from '../auth/csrf-secret.js'
import type { SessionsPerUserOptions } from '../auth/sessions-per-user.js'
import { isSessionError } from '../core/errors.js'
import type { SessionStore } from '../core/store.js'
import type { SessionMiddlewareOptions } from '../hono/index.js'
import { defineSession } from '../schema/define-session.js'
import { sensitive } from '../schema/sensitive.js'
import { MemoryStore } from '../stores/memory-store.js'
import { CookieJar } from './cookie-jar.js'
import { sessionApp } from './session-app.js'

/** The session of the per-user suite: a login, a CSRF secret and a counter. */
export const perUserSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    user: z.object({ id: z.string(), authHash: sensitive(z.string()).optional() }).optional(),
    csrf: csrfSecret(),
  })
)

/** A user of the suite's directory. */
export interface TestUser {
  id: string
  name: string
  version: number
  disabled: boolean
  role: 'admin' | 'member'
}

/** The fields the per-user suite gives each session: a device name. */
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
 * An app with the auth helpers and sessions per user. The client's IP is the `X-Test-IP`
 * header (`clientIp`), the user agent the `User-Agent` header. Routes: POST /login/:id?device=…,
 * POST /logout, POST /revoke/:handle, GET /me, POST /count. A `SESSION_LIMIT` answers 409 with
 * its message.
 */
export function perUserApp(options: PerUserAppOptions = {}) {
  const store = options.store ?? new MemoryStore()
  const users = new Map<string, TestUser>()
  /** Adds a user to the directory (a fresh id per test, for stores on a shared server). */
  const addUser = (id: string) => {
    users.set(id, { id, name: id, version: 1, disabled: false, role: 'member' })
    return id
  }
  for (const id of ['ada', 'bob', 'cy']) addUser(id)
  const clock = movableClock()
  const auth = createAuth({
    definition: perUserSession,
    userKey: 'user',
    idOf: (user: TestUser) => user.id,
    loadUser: (id) => users.get(id),
    authHash: (user) => `v${user.version}`,
    sessionsPerUser: { fields: deviceFields, ...options.sessionsPerUser },
    now: clock.now,
  })
  const app = sessionApp(perUserSession, {
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
  app.post('/revoke/:handle', async (c) =>
    c.json(await auth.revokeSession(c.var.session, c.req.param('handle')))
  )
  app.get('/me', async (c) => c.text((await auth.currentUser(c.var.session))?.name ?? 'nobody'))
  app.post('/count', async (c) => {
    await c.var.session.get('counter')
    await hold('count')
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  const jar = () => new CookieJar(app)
  return { app, store, auth, users, addUser, clock, jar }
}

/** Logs a new browser in as `id` on `made` (a `perUserApp`); returns its jar. */
export async function loggedIn(
  made: Pick<ReturnType<typeof perUserApp>, 'jar'>,
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

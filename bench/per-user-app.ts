import { Hono } from 'hono'
import { z } from 'zod'
import { defineSession, type SessionStore } from 'typed-sessions'
import { createAuth } from 'typed-sessions/auth'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'

/*
 * The app of bench/per-user.ts: a login with `sessionsPerUser` (limit 10, end the oldest), the
 * "your devices" routes of the README's "Sessions per user", and the counter of DESIGN.md §5 for
 * the returning visitor. Everything goes through the public API, driven by `app.request()`.
 */

/** The most sessions a user may have: every seeded user has exactly this many. */
export const LIMIT = 10

/** A login session: the counter, and the user once logged in. */
export const benchSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    user: z.object({ id: z.string() }).optional(),
  })
)

const SECRET = 'per-user benchmark secret, at least 32 characters'
/** What a browser sends: the login keeps its summary ("Chrome 131 on macOS") in the details. */
export const USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** Every user id the benchmark seeds or logs in exists; the user directory is not measured. */
interface BenchUser {
  id: string
}

/** The benchmark's app on `store`. */
export function perUserBenchApp(store: SessionStore) {
  const auth = createAuth({
    definition: benchSession,
    userKey: 'user',
    idOf: (user: BenchUser) => user.id,
    loadUser: (id) => ({ id }),
    sessionsPerUser: { limit: LIMIT, whenFull: 'end-oldest' },
  })
  const app = new Hono<SessionEnv<typeof benchSession>>()
  app.use(
    sessionMiddleware(benchSession, {
      secret: SECRET,
      store,
      cookie: { secure: false },
      clientIp: () => '203.0.113.7',
    })
  )
  app.post('/login/:id', async (c) => {
    await auth.login(c.var.session, { id: c.req.param('id') })
    return c.text('ok')
  })
  app.get('/sessions', async (c) => c.json(await auth.listSessions(c.var.session)))
  app.post('/revoke/:handle', async (c) =>
    c.json(await auth.revokeSession(c.var.session, c.req.param('handle')))
  )
  app.post('/revoke-others', async (c) => c.json(await auth.revokeOtherSessions(c.var.session)))
  // The returning visitor: the counter. `/bind/:id` binds a visitor's session to a user without
  // a login, so a bound and an unbound visitor carry the same data and differ by the index only.
  app.get('/count', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(String(n + 1))
  })
  app.post('/bind/:id', async (c) => {
    await c.var.session.bind(c.req.param('id'))
    return c.text('bound')
  })
  return app
}

export type PerUserBenchApp = ReturnType<typeof perUserBenchApp>

/** One answer of the app: its status, its body, and the session cookie it set, if any. */
export interface Answer {
  body: string
  cookie: string | undefined
}

/**
 * Sends one request as a browser would (the user agent, the cookie if any) and fails loudly on
 * anything but a 200: a benchmark of failing requests would measure nothing.
 */
export async function send(
  app: PerUserBenchApp,
  method: 'GET' | 'POST',
  path: string,
  cookie?: string
): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT }
  if (cookie !== undefined) headers['cookie'] = cookie
  const response = await app.request(`http://localhost${path}`, { method, headers })
  const body = await response.text()
  if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${body}`)
  const set = response.headers.getSetCookie()[0]
  return { body, cookie: set?.slice(0, set.indexOf(';')) }
}

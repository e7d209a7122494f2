import { Hono } from 'hono'
import { CookieStore, MemoryStore, sessionMiddleware, type Session } from 'hono-sessions'

type CounterEnv = { Variables: { session: Session<{ counter: number }> } }

/**
 * The counter with hono-sessions: `cookie` keeps the data iron-encrypted in the cookie; `memory`
 * keeps it in a Map, with the session id iron-encrypted when a key is given, raw otherwise.
 */
export function buildHonoSessionsApp(
  storage: 'cookie' | 'memory',
  encryptionKey: string | undefined
): Hono<CounterEnv> {
  const app = new Hono<CounterEnv>()
  app.use(
    sessionMiddleware({
      store: storage === 'cookie' ? new CookieStore() : new MemoryStore(),
      ...(encryptionKey === undefined ? {} : { encryptionKey }),
      cookieOptions: { path: '/', httpOnly: true, sameSite: 'Lax' },
    })
  )
  app.get('/', (c) => {
    const session = c.get('session')
    const n = session.get('counter') ?? 0
    session.set('counter', n + 1)
    return c.text(`Current count: ${n}`)
  })
  return app
}

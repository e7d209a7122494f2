/**
 * The counter app of the README, shared by the examples that run it on each store.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { pathToFileURL } from 'node:url'
import { isSessionError, type SessionStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../schemas/counter.js'

const production = process.env.NODE_ENV === 'production'

/**
 * The options every example shares. In production a missing SESSION_SECRET fails at start-up,
 * with a message. Browsers and curl keep Secure cookies from http://localhost, but not over plain
 * http to any other host (a phone on the LAN, a container's name), where the examples may be
 * opened in development; so they turn `secure` off outside production. Never do so in production.
 */
export const exampleOptions = {
  secret: (process.env.SESSION_SECRET ??
    (production ? undefined : 'dev-only secret: set SESSION_SECRET in production'))!,
  cookie: { secure: production },
}

/** The counter on `store`. */
export function createCounterApp(store: SessionStore) {
  const app = new Hono<SessionEnv<typeof counterSession>>()
  app.use(sessionMiddleware(counterSession, { store, ...exampleOptions }))

  app.get('/', async (c) => {
    const n = await c.var.session.get('counter') // number: the schema's default makes it present
    await c.var.session.set('counter', n + 1)
    return c.text(`Current count: ${n}`)
  })

  // The store being down is a 503 the client may retry, not a 500.
  app.onError((error, c) => {
    if (isSessionError(error) && error.code === 'STORE_UNAVAILABLE') {
      return c.text('Sessions are unavailable right now; try again shortly.', 503)
    }
    console.error(error)
    return c.text('Internal Server Error', 500)
  })
  return app
}

/** Serves `app` on PORT (default 3000) when `moduleUrl` is the script node was started with. */
export function serveIfMain(
  moduleUrl: string,
  app: { fetch: Hono['fetch'] },
  what: string
): boolean {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return false
  const port = Number(process.env.PORT ?? 3000)
  serve({ fetch: app.fetch, port }, (info) => {
    console.log(`${what} listening on http://localhost:${info.port}`)
  })
  return true
}

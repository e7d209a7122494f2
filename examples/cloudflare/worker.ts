/**
 * A Cloudflare Worker whose sessions live in Durable Objects (one per session, strongly
 * consistent compare-and-set) and whose visit log is kept in D1. Bindings: wrangler.toml beside
 * this file. Locally: `npm run example:cloudflare` (miniflare, no account needed).
 */
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { isSessionError } from 'typed-sessions'
import { DurableObjectStore, type DurableObjectNamespaceBinding } from 'typed-sessions/cloudflare'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../../schemas/counter.js'

// The Durable Object class the SESSIONS binding names must be exported by the Worker.
export { SessionDurableObject } from 'typed-sessions/cloudflare'

/** The Worker's bindings (wrangler.toml) and secrets (`wrangler secret put SESSION_SECRET`). */
export interface Env {
  SESSIONS: DurableObjectNamespaceBinding
  SESSION_SECRET: string
  /** "false" only in local development over plain http. */
  SECURE_COOKIES?: string
}

const app = new Hono<SessionEnv<typeof counterSession>>()

// `env` of `cloudflare:workers` holds the bindings and secrets at module scope, so the middleware
// (and its derived signing keys) is built once per isolate, not once per request.
const bindings = env as unknown as Env
app.use(
  sessionMiddleware(counterSession, {
    store: new DurableObjectStore(bindings.SESSIONS),
    secret: bindings.SESSION_SECRET,
    cookie: { secure: bindings.SECURE_COOKIES !== 'false' },
  })
)

app.get('/', async (c) => {
  const n = await c.var.session.get('counter')
  await c.var.session.set('counter', n + 1)
  return c.text(`Current count: ${n}`)
})

app.post('/logout', async (c) => {
  await c.var.session.flush()
  return c.text('Logged out')
})

app.onError((error, c) => {
  if (isSessionError(error) && error.code === 'STORE_UNAVAILABLE') {
    return c.text('Sessions are unavailable right now; try again shortly.', 503)
  }
  return c.text('Internal Server Error', 500)
})

export default app

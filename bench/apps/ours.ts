import { Hono } from 'hono'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../../schemas/counter.js'

type CounterEnv = SessionEnv<typeof counterSession>

function buildApp(secret: string): Hono<CounterEnv> {
  const app = new Hono<CounterEnv>()
  // The default store (MemoryStore); plain http on loopback, so no `Secure` attribute.
  app.use(sessionMiddleware(counterSession, { secret, cookie: { secure: false } }))
  return app
}

/** The counter of examples/counter.ts: verify, load, increment, save, Set-Cookie. */
export function buildCounterApp(secret: string): Hono<CounterEnv> {
  const app = buildApp(secret)
  app.get('/', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(`Current count: ${n}`)
  })
  return app
}

/**
 * The same middleware in front of a route that never touches the session; `/prime` creates the
 * session whose cookie the load requests carry.
 */
export function buildUntouchedApp(secret: string): Hono<CounterEnv> {
  const app = buildApp(secret)
  app.get('/', (c) => c.text('Current count: 0'))
  app.get('/prime', async (c) => {
    await c.var.session.set('counter', 1)
    return c.text('primed')
  })
  return app
}

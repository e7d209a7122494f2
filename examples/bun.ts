/**
 * The counter on Bun, with sessions in SQLite through bun:sqlite (no native addon):
 * `npm run example:bun`, then `curl -c jar -b jar localhost:3000` a few times.
 */
import { Database } from 'bun:sqlite'
import { Hono } from 'hono'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { SqliteStore } from 'typed-sessions/sqlite'
import { counterSession } from '../schemas/counter.js'

const production = process.env.NODE_ENV === 'production'
const store = new SqliteStore(new Database(process.env.SESSIONS_DB ?? ':memory:'))
await store.migrate()

export const app = new Hono<SessionEnv<typeof counterSession>>()
app.use(
  sessionMiddleware(counterSession, {
    store,
    secret: (process.env.SESSION_SECRET ??
      (production ? undefined : 'dev-only secret: set SESSION_SECRET in production'))!,
    // Plain http to a host other than localhost drops Secure cookies. Never turn it off in production.
    cookie: { secure: production },
  })
)
app.get('/', async (c) => {
  const n = await c.var.session.get('counter')
  await c.var.session.set('counter', n + 1)
  return c.text(`Current count: ${n}`)
})

// Bun serves a default export with `fetch` (and `port`) when run directly.
export default { port: Number(process.env.PORT ?? 3000), fetch: app.fetch }
console.log(`Bun counter listening on http://localhost:${process.env.PORT ?? 3000}`)

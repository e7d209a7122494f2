/**
 * The counter from the README: `npm run example`, then open http://localhost:3000
 * or run `curl -c jar -b jar localhost:3000` a few times.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { pathToFileURL } from 'node:url'
import { MemoryStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../schemas/counter.js'

const production = process.env.NODE_ENV === 'production'
const secret =
  process.env.SESSION_SECRET ??
  (production ? undefined : 'dev-only secret: set SESSION_SECRET in production')

export const app = new Hono<SessionEnv<typeof counterSession>>()

app.use(
  sessionMiddleware(counterSession, {
    store: new MemoryStore(),
    // In production a missing SESSION_SECRET fails here, at start-up, with a message.
    secret: secret!,
    // Secure cookies are only sent over https. The example serves plain http, where curl would
    // drop them, so it turns `secure` off outside production. Never do so in production.
    cookie: { secure: production },
  })
)

app.get('/', async (c) => {
  const n = await c.var.session.get('counter') // number: the schema's default makes it present
  await c.var.session.set('counter', n + 1)
  return c.text(`Current count: ${n}`)
})

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000)
  serve({ fetch: app.fetch, port }, (info) => {
    console.log(`Counter listening on http://localhost:${info.port}`)
  })
}

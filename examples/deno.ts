/**
 * The counter on Deno, with sessions in Deno KV: `npm run example:deno`, then
 * `curl -c jar -b jar localhost:3000` a few times.
 */
import { Hono } from 'hono'
import { DenoKvStore, type DenoKvDatabase } from 'typed-sessions/deno-kv'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../schemas/counter.js'

declare const Deno: {
  env: { get(name: string): string | undefined }
  openKv(path?: string): Promise<DenoKvDatabase>
  serve(
    options: { port: number },
    handler: (request: Request) => Response | Promise<Response>
  ): unknown
}

const production = Deno.env.get('DENO_ENV') === 'production'
const kv = await Deno.openKv(Deno.env.get('SESSIONS_KV') ?? ':memory:')

export const app = new Hono<SessionEnv<typeof counterSession>>()
app.use(
  sessionMiddleware(counterSession, {
    store: new DenoKvStore(kv, { prefix: ['sessions'] }),
    secret: (Deno.env.get('SESSION_SECRET') ??
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

const port = Number(Deno.env.get('PORT') ?? 3000)
Deno.serve({ port }, app.fetch)
console.log(`Deno counter listening on http://localhost:${port}`)

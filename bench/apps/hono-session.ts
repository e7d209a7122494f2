import { useSession, type SessionEnv } from '@hono/session'
import { Hono } from 'hono'

type CounterEnv = SessionEnv<{ counter: number }>

/** The counter with @hono/session: the data is a JWE (jose, A256GCM) in the `sid` cookie. */
export function buildHonoSessionApp(secret: string): Hono<CounterEnv> {
  const app = new Hono<CounterEnv>()
  app.use(useSession<{ counter: number }>({ secret }))
  app.get('/', async (c) => {
    const data = await c.var.session.get()
    const n = data?.counter ?? 0
    await c.var.session.update({ counter: n + 1 })
    return c.text(`Current count: ${n}`)
  })
  return app
}

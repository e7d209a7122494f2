import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../../schemas/counter.js'
import { configErrorOf } from '../helpers/config-errors.js'
import { SECRET } from '../helpers/http.js'
import { listen } from '../helpers/server.js'

type Env = SessionEnv<typeof counterSession>

function clientApp(options: Partial<Parameters<typeof sessionMiddleware>[1]> = {}) {
  const app = new Hono<Env>()
  app.use(sessionMiddleware(counterSession, { secret: SECRET, ...options }))
  app.get('/client', (c) => c.json(c.var.session.client))
  return app
}

describe('session.client: what the request says about the client', () => {
  const served = listen(clientApp())
  afterAll(async () => (await served).close())

  it('over a real Node server: the User-Agent as sent and the socket peer address', async () => {
    const { url } = await served
    const response = await fetch(`${url}/client`, {
      headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' },
    })
    expect(await response.json()).toEqual({
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
      ip: '127.0.0.1',
    })
  })

  it('never takes the address from a header the client sets', async () => {
    const { url } = await served
    const response = await fetch(`${url}/client`, {
      headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Real-IP': '203.0.113.9' },
    })
    expect((await response.json()).ip).toBe('127.0.0.1')
  })

  it('without a connection (app.request) there is no address', async () => {
    const response = await clientApp().request('/client')
    expect(await response.json()).toEqual({})
  })

  it('clientIp names where a proxy puts the address', async () => {
    const app = clientApp({ clientIp: (c) => c.req.header('x-real-ip') })
    const response = await app.request('/client', { headers: { 'X-Real-IP': '198.51.100.7' } })
    expect((await response.json()).ip).toBe('198.51.100.7')
  })

  it('a clientIp that is not a function is CONFIG when the middleware is created', () => {
    const error = configErrorOf(() => clientApp({ clientIp: 'x-real-ip' as never }))
    expect(error.message).toMatch(/clientIp is a function of the context/)
  })
})

import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CookieStore, defineSession, MemoryStore, recordKeyOf, versioned } from 'typed-sessions'
import { fetchSessions } from 'typed-sessions/fetch'
import {
  sessionMiddleware,
  type SessionEnv,
  type SessionMiddlewareOptions,
} from 'typed-sessions/hono'
import { seedSession } from 'typed-sessions/testing'
import { rejectionOf } from '../helpers/errors.js'
import { OTHER_SECRET, SECRET } from '../helpers/http.js'
import { listen, type ServedApp } from '../helpers/server.js'

// `seedSession` (issue 17 item 6): a stored session for an app's own tests, and the cookie or
// token that carries it, through the request core (validation, signing, compare-and-set).

const cartSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    cart: z.array(z.string()).max(3).default([]),
  })
)

type CartOptions = Omit<SessionMiddlewareOptions, 'secret'> & { secret?: string }

/** The app under test, and its sessions (the middleware, whose `openSession` seeding can use). */
function cartApp(options: CartOptions = {}) {
  const store = options.store ?? new MemoryStore()
  const sessions = sessionMiddleware(cartSession, { secret: SECRET, ...options, store })
  const app = new Hono<SessionEnv<typeof cartSession>>().use(sessions)
  app.get('/', async (c) => {
    const n = await c.var.session.update('counter', (count) => count + 1)
    return c.text(`visit ${n}, cart: ${(await c.var.session.get('cart')).join(', ') || 'empty'}`)
  })
  return { app, sessions, store }
}

describe('seedSession with the definition and the app’s options', () => {
  it('stores the data and gives a Cookie header the app reads it with', async () => {
    const { app, store } = cartApp()
    const seeded = await seedSession(cartSession, {
      secret: SECRET,
      store,
      data: { counter: 41, cart: ['apple', 'pear'] },
    })
    expect(seeded.cookie).toBe(`id=${seeded.token}`)
    expect(seeded.recordKey).toBe(recordKeyOf(seeded.id))
    expect(seeded.token.startsWith(`${seeded.id}.`)).toBe(true)
    expect((await store.load(seeded.recordKey))?.data).toEqual({
      counter: 41,
      cart: ['apple', 'pear'],
    })

    const response = await app.request('/', { headers: { cookie: seeded.cookie } })
    expect(await response.text()).toBe('visit 42, cart: apple, pear')
  })

  it('uses the cookie name of the options, and records the schema version', async () => {
    const versionedSession = defineSession(
      versioned(z.object({ count: z.number() })).migrate(
        z.object({ counter: z.number() }),
        (v1) => ({ counter: v1.count })
      )
    )
    const store = new MemoryStore()
    const options = { secret: SECRET, store, cookie: { name: '__Host-sid' } }
    const sessions = sessionMiddleware(versionedSession, options)
    const app = new Hono<SessionEnv<typeof versionedSession>>().use(sessions)
    app.get('/', async (c) => c.text(String(await c.var.session.get('counter'))))

    const seeded = await seedSession(versionedSession, { ...options, data: { counter: 7 } })
    expect(seeded.cookie).toMatch(/^__Host-sid=[\w-]{22}\./)
    expect((await store.load(seeded.recordKey))?.schemaVersion).toBe(2)
    expect(await (await app.request('/', { headers: { cookie: seeded.cookie } })).text()).toBe('7')
  })

  it("writes into the definition's shared default store when neither names a store", async () => {
    const app = new Hono<SessionEnv<typeof cartSession>>()
    app.use(sessionMiddleware(cartSession, { secret: SECRET }))
    app.get('/', async (c) => c.text(String(await c.var.session.get('counter'))))
    const { cookie } = await seedSession(cartSession, { secret: SECRET, data: { counter: 5 } })
    expect(await (await app.request('/', { headers: { cookie } })).text()).toBe('5')
  })

  it('signs with the given secret: an app with another secret reads no session', async () => {
    const { app, store } = cartApp({ secret: OTHER_SECRET })
    const { cookie } = await seedSession(cartSession, {
      secret: SECRET,
      store,
      data: { counter: 9 },
    })
    expect(await (await app.request('/', { headers: { cookie } })).text()).toBe(
      'visit 1, cart: empty'
    )
  })

  it('keeps the whole record in the cookie with a CookieStore', async () => {
    const { app } = cartApp({ store: new CookieStore() })
    const { cookie } = await seedSession(cartSession, {
      secret: SECRET,
      store: new CookieStore(),
      data: { cart: ['fig'] },
    })
    expect(await (await app.request('/', { headers: { cookie } })).text()).toBe(
      'visit 1, cart: fig'
    )
  })
})

describe('seedSession with the app’s sessions', () => {
  it('seeds through the middleware’s openSession, with its store, secret and cookie', async () => {
    const { app, sessions, store } = cartApp({ cookie: { name: 'cart_session' } })
    const seeded = await seedSession(sessions, { data: { cart: ['plum'] } })
    expect(seeded.cookie).toBe(`cart_session=${seeded.token}`)
    expect((await store.load(seeded.recordKey))?.data).toEqual({ cart: ['plum'] })
    expect(await (await app.request('/', { headers: { cookie: seeded.cookie } })).text()).toBe(
      'visit 1, cart: plum'
    )
  })

  it("seeds through fetchSessions' openSession", async () => {
    const store = new MemoryStore()
    const sessions = fetchSessions(cartSession, { secret: SECRET, store })
    const handler = sessions.handle(async (_request, session) =>
      Response.json(await session.get('cart'))
    )
    const { cookie } = await seedSession(sessions, { data: { cart: ['kiwi'] } })
    const response = await handler(new Request('http://test/', { headers: { cookie } }))
    expect(await response.json()).toEqual(['kiwi'])
  })
})

describe('seedSession with the header transport', () => {
  it('gives the token (no cookie) for an Authorization: Bearer header', async () => {
    const { app, sessions } = cartApp({ transport: 'header' })
    const seeded = await seedSession(sessions, { data: { counter: 2 } })
    expect(seeded.cookie).toBe('')
    const authorization = `Bearer ${seeded.token}`
    expect(await (await app.request('/', { headers: { authorization } })).text()).toBe(
      'visit 3, cart: empty'
    )
  })

  it('finds the token in a header the app names, from the sessions or from the options', async () => {
    const options = {
      transport: 'header',
      header: { name: 'x-session', responseName: 'x-new-session' },
    } as const
    const { app, sessions, store } = cartApp(options)
    const fromSessions = await seedSession(sessions, { data: { counter: 10 } })
    const fromOptions = await seedSession(cartSession, {
      ...options,
      secret: SECRET,
      store,
      data: { counter: 20 },
    })
    for (const [seeded, visit] of [
      [fromSessions, 11],
      [fromOptions, 21],
    ] as const) {
      const response = await app.request('/', { headers: { 'x-session': seeded.token } })
      expect(await response.text()).toBe(`visit ${visit}, cart: empty`)
    }
  })
})

describe('what seedSession refuses', () => {
  it('a value its key’s schema refuses is INVALID_VALUE, and nothing is stored', async () => {
    const store = new MemoryStore()
    const tooMany = ['a', 'b', 'c', 'd']
    const refused = await rejectionOf(
      seedSession(cartSession, { secret: SECRET, store, data: { cart: tooMany } })
    )
    expect(refused).toMatchObject({ code: 'INVALID_VALUE' })
    expect(store.size).toBe(0)
  })

  it('no data is CONFIG: an empty session is never stored, so there is no cookie', async () => {
    const { sessions } = cartApp()
    expect(await rejectionOf(seedSession(sessions, {}))).toEqual({
      code: 'CONFIG',
      message:
        'seedSession stored no session: an empty session is never saved. Give it `data` with at least one value.',
    })
  })

  it('a misspelt option is CONFIG, naming seedSession; a short secret too', async () => {
    const misspelt = { secret: SECRET, stor: new MemoryStore(), data: { counter: 1 } }
    const unknown = await rejectionOf(seedSession(cartSession, misspelt as never))
    expect(unknown).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/seedSession/) })
    const short = await rejectionOf(seedSession(cartSession, { secret: 'short', data: {} }))
    expect(short).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/32/) })
  })
})

describe('a seeded session over a real server', () => {
  const { app, sessions, store } = cartApp()
  let server: ServedApp
  beforeAll(async () => {
    server = await listen(app)
  })
  afterAll(() => server.close())

  it('is read and written by the served app, with the Cookie header seedSession gave', async () => {
    const { cookie, recordKey } = await seedSession(sessions, { data: { cart: ['apple'] } })
    const response = await fetch(`${server.url}/`, { headers: { cookie } })
    expect(await response.text()).toBe('visit 1, cart: apple')
    expect((await store.load(recordKey))?.data).toEqual({ cart: ['apple'], counter: 1 })
  })
})

import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { Expiry, defineSession, flash, isSessionError } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { CookieJar, SECRET, sessionCookie } from '../helpers/http.js'
import { TestStore, recordOfCookie } from '../helpers/stores.js'

// Issue 11: what a new user hits in the first hour of a real app.

const appSession = defineSession(
  z.object({
    user: z.string().optional(),
    cart: z.array(z.string()).default([]),
    notices: flash(z.object({ kind: z.enum(['info', 'error']), text: z.string() })),
  })
)
type Env = SessionEnv<typeof appSession>

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('two middlewares of one definition without a store', () => {
  it('share one MemoryStore: /me sees the user /login stored', async () => {
    const app = new Hono<Env>()
    app.use('/login', sessionMiddleware(appSession, { secret: SECRET }))
    app.use('/me', sessionMiddleware(appSession, { secret: SECRET }))
    app.post('/login', async (c) => {
      await c.var.session.set('user', 'ada')
      return c.text('ok')
    })
    app.get('/me', async (c) => c.text((await c.var.session.get('user')) ?? 'nobody'))
    const jar = new CookieJar(app)
    await jar.fetch('/login', { method: 'POST' })
    const me = await jar.fetch('/me')
    expect(await me.text()).toBe('ada')
    expect(sessionCookie(me)).toBeUndefined() // no removal cookie logging the user out
  })

  it('warns once when the MemoryStore is used with NODE_ENV=production', () => {
    vi.stubEnv('NODE_ENV', 'production')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const other = defineSession(z.object({ n: z.number().optional() }))
    sessionMiddleware(other, { secret: SECRET })
    sessionMiddleware(other, { secret: SECRET })
    // Each test file gets fresh modules, so this is the process's first warning.
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/MemoryStore.*server store/)
  })
})

describe('two sessions in one app', () => {
  const admin = defineSession(z.object({ operator: z.string().optional() }))

  it('live side by side on their context keys, each with its own cookie', async () => {
    const app = new Hono<Env & SessionEnv<typeof admin, 'admin'>>()
    app.use(sessionMiddleware(appSession, { secret: SECRET }))
    app.use(
      sessionMiddleware(admin, { secret: SECRET, contextKey: 'admin', cookie: { name: 'admin' } })
    )
    app.post('/both', async (c) => {
      await c.var.session.set('user', 'visitor')
      await c.var.admin.set('operator', 'root')
      return c.text('ok')
    })
    app.get('/both', async (c) =>
      c.json({ user: await c.var.session.get('user'), operator: await c.var.admin.get('operator') })
    )
    // The middlewares add their sessions to c.var and nothing else (their bookkeeping is not a
    // variable that every c.var read would copy).
    app.get('/vars', (c) => c.json(Object.keys(c.var).sort()))
    const jar = new CookieJar(app)
    await jar.fetch('/both', { method: 'POST' })
    expect([...jar.cookies.keys()].sort()).toEqual(['admin', 'id'])
    expect(await (await jar.fetch('/both')).json()).toEqual({ user: 'visitor', operator: 'root' })
    expect(await (await jar.fetch('/vars')).json()).toEqual(['admin', 'session'])
  })

  it('refuses two context keys on one cookie name, with CONFIG', async () => {
    const app = new Hono<Env & SessionEnv<typeof admin, 'admin'>>()
    app.use(sessionMiddleware(appSession, { secret: SECRET }))
    app.use(sessionMiddleware(admin, { secret: SECRET, contextKey: 'admin' }))
    let caught: unknown
    app.onError((error, c) => ((caught = error), c.text('config', 500)))
    app.get('/', (c) => c.text('ok'))
    await app.request('/')
    expect(isSessionError(caught) && caught.code).toBe('CONFIG')
    expect((caught as Error).message).toMatch(/cookie name/)
  })
})

describe('sessionMiddleware given the z.object itself', () => {
  it('works as if given defineSession(schema)', async () => {
    const schema = z.object({ n: z.number().default(0) })
    const app = new Hono().use(sessionMiddleware(schema, { secret: SECRET }))
    app.post('/', async (c) => c.json(await c.var.session.update('n', (n) => n + 1)))
    const jar = new CookieJar(app)
    await jar.fetch('/', { method: 'POST' })
    expect(await (await jar.fetch('/', { method: 'POST' })).json()).toBe(2)
  })
})

describe('flash messages', () => {
  it('survive one redirect and are shown once', async () => {
    const app = new Hono<Env>()
    app.use(sessionMiddleware(appSession, { secret: SECRET }))
    app.post('/login', async (c) => {
      await c.var.session.set('user', 'ada')
      await c.var.session.flash('notices', { kind: 'info', text: 'Welcome back' })
      return c.redirect('/')
    })
    app.get('/', async (c) => c.json(await c.var.session.consumeFlash('notices')))
    const jar = new CookieJar(app)
    const redirect = await jar.fetch('/login', { method: 'POST' })
    expect(redirect.status).toBe(302)
    expect(await (await jar.fetch('/')).json()).toEqual([{ kind: 'info', text: 'Welcome back' }])
    expect(await (await jar.fetch('/')).json()).toEqual([])
  })
})

describe('iteration, snapshots and reads', () => {
  it('lists the keys that hold a value and takes a read-only snapshot', async () => {
    const app = new Hono<Env>()
    app.use(sessionMiddleware(appSession, { secret: SECRET }))
    app.post('/', async (c) => {
      const session = c.var.session
      await session.set('user', 'ada')
      const cart = await session.get('cart')
      // Read values are frozen: a mutation throws instead of silently changing nothing.
      const pushed = (() => {
        try {
          ;(cart as string[]).push('smuggled')
        } catch (error) {
          return error instanceof TypeError ? 'TypeError' : 'other'
        }
      })()
      const snapshot = await session.toObject()
      return c.json({
        pushed,
        keys: await session.keys(),
        snapshot,
        frozen: Object.isFrozen(snapshot),
      })
    })
    const body = await (await app.request('/', { method: 'POST' })).json()
    expect(body).toEqual({
      pushed: 'TypeError',
      keys: ['user'],
      snapshot: { user: 'ada', cart: [], notices: [] },
      frozen: true,
    })
  })
})

describe('rolling sessions', () => {
  const day = 86_400
  function rollingApp(store: TestStore, touchAfter?: number) {
    const app = new Hono<Env>()
    const options = { secret: SECRET, store, expiry: Expiry.onInactivity(day) }
    app.use(
      sessionMiddleware(appSession, touchAfter === undefined ? options : { ...options, touchAfter })
    )
    app.post('/login', async (c) => (await c.var.session.set('user', 'ada'), c.text('ok')))
    app.get('/read', async (c) => c.text((await c.var.session.get('user')) ?? ''))
    app.post('/touch', (c) => (c.var.session.touch(), c.text('ok')))
    return app
  }

  it('re-saves a read-only session only once its expiry would move by more than touchAfter', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const store = new TestStore()
    const jar = new CookieJar(rollingApp(store, 60))
    await jar.fetch('/login', { method: 'POST' })
    const cookie = jar.cookies.get('id')!
    const savedAt = (await recordOfCookie(store, cookie))!.expiresAt
    store.resetCounts()

    vi.advanceTimersByTime(30_000) // within touchAfter: a read, no write
    const early = await jar.fetch('/read')
    expect(sessionCookie(early)).toBeUndefined()
    expect(store.calls.save).toBe(0)

    vi.advanceTimersByTime(60_000) // past touchAfter: the read slides the expiry
    const late = await jar.fetch('/read')
    expect(sessionCookie(late)?.attributes['max-age']).toBe(String(day))
    expect(store.calls.save).toBe(1)
    expect((await recordOfCookie(store, cookie))!.expiresAt).toBe(savedAt + 90_000)
  })

  it('touch() extends the expiry of an unchanged session', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const store = new TestStore()
    const jar = new CookieJar(rollingApp(store))
    await jar.fetch('/login', { method: 'POST' })
    const savedAt = (await recordOfCookie(store, jar.cookies.get('id')!))!.expiresAt
    vi.advanceTimersByTime(5_000)
    expect(sessionCookie(await jar.fetch('/read'))).toBeUndefined() // no touchAfter: no write
    const touched = await jar.fetch('/touch', { method: 'POST' })
    expect(sessionCookie(touched)?.attributes['max-age']).toBe(String(day))
    expect((await recordOfCookie(store, jar.cookies.get('id')!))!.expiresAt).toBe(savedAt + 5_000)
  })
})

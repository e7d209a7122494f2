import { stream } from 'hono/streaming'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, isSessionError } from 'typed-sessions'
import type { SessionRecord, SessionStore } from 'typed-sessions'
import { OTHER_SECRET, SECRET, sessionApp, sessionCookie, setCookies } from '../helpers/http.js'
import { TestStore, deferred } from '../helpers/stores.js'

// The security review's findings (issue 7), each through real routing.

const definition = defineSession(
  z.object({ counter: z.number().int().default(0), blob: z.unknown().optional() })
)

function app(options: Parameters<typeof sessionApp>[1] = {}) {
  const hono = sessionApp(definition, options)
  const errors: unknown[] = []
  hono.onError((error, c) => {
    errors.push(error)
    const code = isSessionError(error) ? error.code : 'OTHER'
    return c.json({ code }, code === 'INVALID_VALUE' ? 400 : 503)
  })
  hono.post('/increment', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return c.text('ok')
  })
  hono.post('/blob', async (c) => {
    await c.var.session.set('blob', await c.req.json())
    return c.text('ok')
  })
  hono.get('/read', async (c) => c.json({ counter: await c.var.session.get('counter') }))
  hono.get('/public', (c) => {
    c.header('Cache-Control', 'public, max-age=600, s-maxage=3600')
    return c.text('cacheable')
  })
  return { app: hono, errors }
}

async function startedCookie(hono: ReturnType<typeof app>['app']): Promise<string> {
  return sessionCookie(await hono.request('/increment', { method: 'POST' }))!.value
}

describe('every response that sets our cookie', () => {
  it('varies on Cookie, even on a route that never touched the session (alwaysSave)', async () => {
    const { app: hono } = app({ alwaysSave: true })
    const cookie = await startedCookie(hono)
    const response = await hono.request('/public', { headers: { Cookie: `id=${cookie}` } })
    expect(sessionCookie(response)).toBeDefined()
    expect(response.headers.get('Vary')).toBe('Cookie')
  })

  it('varies on Cookie when a cookie signed with a retired key is re-issued', async () => {
    const store = new TestStore()
    const old = await startedCookie(app({ store, secret: OTHER_SECRET }).app)
    const { app: rotated } = app({ store, secret: [SECRET, OTHER_SECRET] })
    const response = await rotated.request('/public', { headers: { Cookie: `id=${old}` } })
    const reissued = sessionCookie(response)
    expect(reissued?.value).not.toBe(old)
    expect(reissued?.attributes['max-age']).toBeUndefined() // re-signed, not removed
    expect(response.headers.get('Vary')).toBe('Cookie')
  })

  it('is made private when its Cache-Control would let a shared cache store it', async () => {
    const { app: hono } = app({ alwaysSave: true })
    const cookie = await startedCookie(hono)
    const response = await hono.request('/public', { headers: { Cookie: `id=${cookie}` } })
    expect(response.headers.get('Cache-Control')).toBe('private, max-age=600')
    // Without our cookie, the handler's caching is left alone.
    const anonymous = await hono.request('/public')
    expect(sessionCookie(anonymous)).toBeUndefined()
    expect(anonymous.headers.get('Cache-Control')).toBe('public, max-age=600, s-maxage=3600')
  })
})

describe('hostile input', () => {
  it('verifies only the first few same-name cookies: a stuffed header costs a few HMACs', async () => {
    const { app: hono } = app()
    const cookie = await startedCookie(hono)
    const forged = Array.from(
      { length: 200 },
      (_, i) => `id=${cookie.slice(0, -4)}${String(i).padStart(4, 'A')}`
    )
    const near = [...forged.slice(0, 3), `id=${cookie}`].join('; ')
    expect(await (await hono.request('/read', { headers: { Cookie: near } })).json()).toEqual({
      counter: 1,
    })
    const far = [...forged, `id=${cookie}`].join('; ')
    const response = await hono.request('/read', { headers: { Cookie: far } })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ counter: 0 }) // no session: never an error
  })

  it('answers a value nested 10,000 levels deep with INVALID_VALUE, not a crash', async () => {
    const { app: hono, errors } = app()
    const body = '['.repeat(10_000) + ']'.repeat(10_000)
    const response = await hono.request('/blob', { method: 'POST', body })
    expect(response.status).toBe(400)
    expect(errors).toHaveLength(1)
  })

  it('answers a session over maxSize with INVALID_VALUE, and stores nothing', async () => {
    const store = new TestStore()
    const { app: hono } = app({ store, maxSize: 10_000 })
    const response = await hono.request('/blob', {
      method: 'POST',
      body: JSON.stringify({ text: 'x'.repeat(20_000) }),
    })
    expect(response.status).toBe(400)
    expect(sessionCookie(response)).toBeUndefined()
    expect(store.calls.create).toBe(0)
  })

  it('reads a corrupt record as no session and removes the cookie, never a 5xx', async () => {
    const healthy = new TestStore()
    const { app: first } = app({ store: healthy })
    const cookie = await startedCookie(first)
    const corrupt: SessionStore = {
      create: (record) => healthy.create(record),
      save: (record, version) => healthy.save(record, version),
      delete: (key) => healthy.delete(key),
      load: async (key) =>
        ({ ...(await healthy.load(key)), data: null }) as unknown as SessionRecord,
    }
    const { app: hono } = app({ store: corrupt })
    const response = await hono.request('/read', { headers: { Cookie: `id=${cookie}` } })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ counter: 0 })
    expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
  })
})

describe('a store that never answers', () => {
  it('fails the request within storeTimeout as STORE_UNAVAILABLE, with no cookie', async () => {
    const never = deferred<never>()
    const hung: SessionStore = {
      create: () => never.promise,
      load: () => never.promise,
      save: () => never.promise,
      delete: () => never.promise,
    }
    const { app: hono, errors } = app({ store: hung, storeTimeout: 100 })
    const started = performance.now()
    const response = await hono.request('/increment', { method: 'POST' })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(response.status).toBe(503)
    expect(setCookies(response)).toEqual([])
    const error = errors[0]
    expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
    expect(((error as Error).cause as Error).name).toBe('TimeoutError')
  })

  it('refuses option values that are not positive numbers', () => {
    for (const storeTimeout of [0, -1, Number.NaN, Infinity]) {
      expect(() => app({ storeTimeout })).toThrow(/storeTimeout/)
    }
    expect(() => app({ maxSize: 0 })).toThrow(/maxSize/)
    expect(() => app({ conflictTimeout: -5 })).toThrow(/conflictTimeout/)
  })
})

describe('a write after the response was decided', () => {
  it('throws RESPONSE_STARTED inside a stream instead of being silently lost', async () => {
    const { app: hono } = app()
    const failure = deferred<unknown>()
    hono.get('/stream', (c) =>
      stream(
        c,
        async (s) => {
          await s.write('started')
          await s.sleep(10)
          await c.var.session.set('counter', 5)
        },
        async (error) => failure.resolve(error)
      )
    )
    const response = await hono.request('/stream')
    expect(await response.text()).toBe('started')
    const error = await failure.promise
    expect(isSessionError(error) && error.code).toBe('RESPONSE_STARTED')
    expect(sessionCookie(response)).toBeUndefined()
  })
})

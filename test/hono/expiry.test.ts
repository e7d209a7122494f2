import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineSession, Expiry, MemoryStore } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { CookieJar, sessionApp, sessionCookie, setCookies } from '../helpers/http.js'
import { recordOfCookie, rewriteRecordOfCookie } from '../helpers/stores.js'

// DESIGN.md §4 (setExpiry, persisted: differs from tower-sessions) and §5 (Max-Age never negative).

const definition = defineSession(z.object({ counter: z.number().int().default(0) }))
const HOUR = 60 * 60

function expiryApp(options: Partial<SessionMiddlewareOptions> = {}) {
  const store = options.store ?? new MemoryStore()
  const app = sessionApp(definition, { ...options, store })
  app.post('/increment', async (c) => {
    const n = await c.var.session.update('counter', (n) => n + 1)
    return c.json({ counter: n })
  })
  app.get('/counter', async (c) => c.json({ counter: await c.var.session.get('counter') }))
  app.post('/expire-in/:seconds', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    c.var.session.setExpiry(Expiry.onInactivity(Number(c.req.param('seconds'))))
    return c.text('ok')
  })
  app.post('/only-expire-in/:seconds', (c) => {
    c.var.session.setExpiry(Expiry.onInactivity(Number(c.req.param('seconds'))))
    return c.text('ok')
  })
  app.post('/browser-session', (c) => {
    c.var.session.setExpiry(Expiry.onSessionEnd())
    return c.text('ok')
  })
  app.get('/expiry-age', (c) => c.json({ age: c.var.session.expiryAge() }))
  app.get('/loaded-expiry-age', async (c) => {
    await c.var.session.load()
    return c.json({ age: c.var.session.expiryAge() })
  })
  return { app, store }
}

function maxAgeOf(response: Response): number | undefined {
  const cookie = sessionCookie(response)
  if (cookie === undefined) throw new Error('expected a session cookie')
  const value = cookie.attributes['max-age']
  return value === undefined ? undefined : Number(value)
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the cookie lifetime', () => {
  it('is a browser-session cookie by default: no Max-Age, no Expires', async () => {
    const { app } = expiryApp()
    const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))
    expect(cookie).toBeDefined()
    expect(cookie!.attributes).not.toHaveProperty('max-age')
    expect(cookie!.attributes).not.toHaveProperty('expires')
  })

  it('keeps a browser-session record for two weeks after its last save', async () => {
    const { app, store } = expiryApp()
    const before = Date.now()
    const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!
    const record = await recordOfCookie(store, cookie.value)
    expect(record!.expiresAt - before).toBeGreaterThanOrEqual(14 * 24 * HOUR * 1000)
    expect(record!.expiresAt - Date.now()).toBeLessThanOrEqual(14 * 24 * HOUR * 1000)
  })

  it('is Max-Age=3600 with Expiry.onInactivity(3600)', async () => {
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    expect(maxAgeOf(await app.request('/increment', { method: 'POST' }))).toBe(HOUR)
  })

  it('is the remaining seconds with Expiry.atDate(future)', async () => {
    const at = new Date(Date.now() + 90 * 60 * 1000)
    const { app, store } = expiryApp({ expiry: Expiry.atDate(at) })
    const response = await app.request('/increment', { method: 'POST' })
    const maxAge = maxAgeOf(response)!
    expect(maxAge).toBeGreaterThanOrEqual(90 * 60 - 2)
    expect(maxAge).toBeLessThanOrEqual(90 * 60)
    const record = await recordOfCookie(store, sessionCookie(response)!.value)
    expect(record?.expiresAt).toBe(at.getTime())
  })

  it('is Max-Age=0, never negative, with an Expiry.atDate in the past', async () => {
    const { app } = expiryApp({ expiry: Expiry.atDate(new Date(Date.now() - 60_000)) })
    const response = await app.request('/increment', { method: 'POST' })
    expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
  })

  it('is capped at 400 days (RFC 6265bis), while the record keeps its full lifetime', async () => {
    const { app, store } = expiryApp({ expiry: Expiry.onInactivity(500 * 24 * HOUR) })
    const response = await app.request('/increment', { method: 'POST' })
    expect(maxAgeOf(response)).toBe(400 * 24 * HOUR)
    const record = await recordOfCookie(store, sessionCookie(response)!.value)
    expect(record!.expiresAt - Date.now()).toBeGreaterThan(499 * 24 * HOUR * 1000)
  })

  it('counts again from each save with onInactivity', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const { app, store } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    vi.setSystemTime(new Date('2030-01-01T00:50:00Z'))
    expect(maxAgeOf(await jar.fetch('/increment', { method: 'POST' }))).toBe(HOUR)
    const record = await recordOfCookie(store, jar.cookies.get('id')!)
    expect(record?.expiresAt).toBe(Date.parse('2030-01-01T01:50:00Z'))
    vi.setSystemTime(new Date('2030-01-01T01:40:00Z'))
    expect(await (await jar.fetch('/counter')).json()).toEqual({ counter: 2 })
  })
})

describe('setExpiry', () => {
  it('makes Max-Age longer than the configured expiry', async () => {
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    const jar = new CookieJar(app)
    expect(maxAgeOf(await jar.fetch('/expire-in/7200', { method: 'POST' }))).toBe(7200)
  })

  it('makes Max-Age shorter than the configured expiry', async () => {
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    expect(maxAgeOf(await jar.fetch('/expire-in/60', { method: 'POST' }))).toBe(60)
  })

  it('alone marks the session modified: the cookie is re-set with the new Max-Age', async () => {
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    const value = jar.cookies.get('id')
    const response = await jar.fetch('/only-expire-in/120', { method: 'POST' })
    expect(sessionCookie(response)?.value).toBe(value)
    expect(maxAgeOf(response)).toBe(120)
  })

  it('is persisted in the record: a later request keeps it (differs from tower-sessions)', async () => {
    const { app, store } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    const jar = new CookieJar(app)
    await jar.fetch('/expire-in/7200', { method: 'POST' })
    const record = await recordOfCookie(store, jar.cookies.get('id')!)
    expect(record?.expiry).toEqual({ kind: 'onInactivity', seconds: 7200 })
    expect(maxAgeOf(await jar.fetch('/increment', { method: 'POST' }))).toBe(7200)
    expect(await (await jar.fetch('/loaded-expiry-age')).json()).toEqual({ age: 7200 })
  })

  it('keeps a shorter expiry on later requests too', async () => {
    const { app, store } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    const jar = new CookieJar(app)
    await jar.fetch('/expire-in/60', { method: 'POST' })
    const response = await jar.fetch('/increment', { method: 'POST' })
    expect(maxAgeOf(response)).toBe(60)
    const record = await recordOfCookie(store, jar.cookies.get('id')!)
    expect(record!.expiresAt - Date.now()).toBeLessThanOrEqual(60_000)
  })

  it('can turn a persistent cookie into a browser-session cookie', async () => {
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR) })
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    const response = await jar.fetch('/browser-session', { method: 'POST' })
    expect(sessionCookie(response)).toBeDefined()
    expect(maxAgeOf(response)).toBeUndefined()
    expect(maxAgeOf(await jar.fetch('/increment', { method: 'POST' }))).toBeUndefined()
  })
})

describe('absoluteTimeout', () => {
  it('ends a session N seconds after its creation despite activity that renewed its expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR), absoluteTimeout: 10 })
    const jar = new CookieJar(app)
    const first = await jar.fetch('/increment', { method: 'POST' })
    expect(maxAgeOf(first)).toBe(10)
    const value = jar.cookies.get('id')!

    vi.setSystemTime(new Date('2030-01-01T00:00:06Z'))
    const renewed = await jar.fetch('/increment', { method: 'POST' })
    expect(await renewed.json()).toEqual({ counter: 2 })
    expect(maxAgeOf(renewed)).toBe(4) // capped by the absolute limit, not the hour

    vi.setSystemTime(new Date('2030-01-01T00:00:11Z'))
    const after = await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(await after.json()).toEqual({ counter: 0 })
  })

  it('ends a session whose stored record still claims to be live', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const { app, store } = expiryApp({ expiry: Expiry.onInactivity(HOUR), absoluteTimeout: 10 })
    const value = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
    // The store says "live for another hour" (a store with a lagging clock, or an old record).
    await rewriteRecordOfCookie(store, value, {
      createdAt: Date.now() - 20_000,
      expiresAt: Date.now() + HOUR * 1000,
    })
    const response = await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(await response.json()).toEqual({ counter: 0 })
    expect(await recordOfCookie(store, value)).toBeUndefined()
    const write = await app.request('/increment', {
      method: 'POST',
      headers: { Cookie: `id=${value}` },
    })
    expect(sessionCookie(write)?.value).not.toBe(value)
  })

  it('ends a session with real time passing', async () => {
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR), absoluteTimeout: 1 })
    const value = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const response = await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(await response.json()).toEqual({ counter: 0 })
    expect(setCookies(response).every((cookie) => cookie.value === '')).toBe(true)
  })

  it('gives the first cookie a positive Max-Age even for a short limit', async () => {
    const { app } = expiryApp({ expiry: Expiry.onInactivity(HOUR), absoluteTimeout: 2 })
    const response = await app.request('/increment', { method: 'POST' })
    // The record lives 2 s; a Max-Age of 1 s drops the cookie early, 0 drops it at once.
    expect(maxAgeOf(response)).toBeGreaterThanOrEqual(1)
  })
})

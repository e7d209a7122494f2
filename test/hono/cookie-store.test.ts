import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { CookieStore, defineSession, Expiry, versioned } from 'typed-sessions'
import { fromBase64url } from '../../src/core/base64url.js'
import { cookieStoreApp, openCookie } from '../helpers/cookie-store-app.js'
import { CookieJar, sessionApp, sessionCookie } from '../helpers/http.js'

// DESIGN.md §9: with `store: new CookieStore()` the whole record travels sealed in the cookie,
// and the lifecycle of §5 works unchanged: counting, login (cycleId), logout (flush), expiry,
// the absolute timeout and migrations on load.

afterEach(() => {
  vi.useRealTimers()
})

describe('sessions kept in the cookie', () => {
  it('count per visitor with nothing stored on the server', async () => {
    const app = cookieStoreApp()
    const alice = new CookieJar(app)
    const bob = new CookieJar(app)
    const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
    expect([...counts, await alice.text('/')]).toEqual(['0', '1', '0', '2'])
    // A second app with the same secret and no shared state reads the same session.
    const elsewhere = new CookieJar(cookieStoreApp())
    elsewhere.cookies.set('id', alice.cookies.get('id')!)
    expect(await elsewhere.text('/peek')).toBe('3 -')
  })

  it('hide the data: the cookie is encrypted, not merely signed', async () => {
    const app = cookieStoreApp()
    const response = await app.request('/login/ada-lovelace', { method: 'POST' })
    const value = sessionCookie(response)!.value
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/)
    const bytes = new TextDecoder('latin1').decode(fromBase64url(value))
    expect(bytes).not.toContain('lovelace')
    expect(openCookie(value)?.data).toEqual({ user: 'ada-lovelace' })
  })

  it('send no cookie for a request that only reads the session', async () => {
    const jar = new CookieJar(cookieStoreApp())
    await jar.text('/')
    const response = await jar.fetch('/peek')
    expect(await response.text()).toBe('1 -')
    expect(sessionCookie(response)).toBeUndefined()
    expect(response.headers.get('vary')).toBe('Cookie')
  })

  it('carry a new id after login, the data kept', async () => {
    const jar = new CookieJar(cookieStoreApp())
    await jar.text('/')
    const before = openCookie(jar.cookies.get('id')!)!
    await jar.text('/login/ada', { method: 'POST' })
    const after = openCookie(jar.cookies.get('id')!)!
    expect(after.key).not.toBe(before.key)
    expect(after.key).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(after.createdAt).toBe(before.createdAt)
    expect(await jar.text('/peek')).toBe('1 ada')
  })

  it('remove the cookie at logout, and a later write starts a new session', async () => {
    const jar = new CookieJar(cookieStoreApp())
    await jar.text('/login/ada', { method: 'POST' })
    const response = await jar.fetch('/logout', { method: 'POST' })
    const removal = sessionCookie(response)!
    expect([removal.value, removal.attributes['max-age']]).toEqual(['', '0'])
    expect(jar.cookies.has('id')).toBe(false)
    expect(await jar.text('/peek')).toBe('0 -')
    expect(await jar.text('/')).toBe('0')
  })

  it('cannot revoke a copy of the cookie: a replayed cookie opens until it expires', async () => {
    const jar = new CookieJar(cookieStoreApp())
    await jar.text('/login/ada', { method: 'POST' })
    const stolen = jar.cookies.get('id')!
    await jar.fetch('/logout', { method: 'POST' })
    const thief = new CookieJar(cookieStoreApp())
    thief.cookies.set('id', stolen)
    // Documented in the README: stateless sessions trade revocation for needing no server state.
    expect(await thief.text('/peek')).toBe('0 ada')
  })

  it('set nothing when the handler fails with a 5xx', async () => {
    const app = cookieStoreApp()
    app.get('/fail', async (c) => {
      await c.var.session.set('user', 'ada')
      return c.text('failed', 503)
    })
    expect(sessionCookie(await app.request('/fail'))).toBeUndefined()
  })

  it('keep the last response of concurrent writes: there is no compare-and-set', async () => {
    const app = cookieStoreApp()
    const jar = new CookieJar(app)
    await jar.text('/')
    const headers = { cookie: `id=${jar.cookies.get('id')!}` }
    const responses = await Promise.all([
      app.request('/', { headers }),
      app.request('/', { headers }),
    ])
    const counters = responses.map((r) => openCookie(sessionCookie(r)!.value)?.data.counter)
    // Each request counted from the same cookie: one increment is lost, whichever cookie wins.
    expect(counters).toEqual([2, 2])
  })

  it('end an inactive session by the server clock, whatever cookie the client keeps', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const jar = new CookieJar(cookieStoreApp({ expiry: Expiry.onInactivity(60) }))
    await jar.text('/')
    const response = await jar.fetch('/')
    expect(sessionCookie(response)!.attributes['max-age']).toBe('60')
    vi.setSystemTime(new Date('2030-01-01T00:01:00Z'))
    expect(await jar.text('/peek')).toBe('0 -')
  })

  it('end a session at its absolute timeout even while it stays active', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const app = cookieStoreApp({ expiry: Expiry.onInactivity(3600), absoluteTimeout: 90 })
    const jar = new CookieJar(app)
    expect(await jar.text('/')).toBe('0')
    vi.setSystemTime(new Date('2030-01-01T00:01:00Z'))
    expect(await jar.text('/')).toBe('1')
    const kept = jar.cookies.get('id')!
    expect(openCookie(kept)!.expiresAt).toBe(Date.parse('2030-01-01T00:01:30Z'))
    vi.setSystemTime(new Date('2030-01-01T00:01:30Z'))
    expect(await jar.text('/peek')).toBe('0 -')
  })

  it('upgrade a session sealed under an older schema, and re-seal it under the current one', async () => {
    const v1 = defineSession(z.object({ count: z.number() }))
    const v2 = defineSession(
      versioned(z.object({ count: z.number() })).migrate(
        z.object({ counter: z.number() }),
        (old) => ({
          counter: old.count,
        })
      )
    )
    const oldApp = sessionApp(v1, { store: new CookieStore() })
    oldApp.get('/', async (c) => {
      await c.var.session.set('count', 41)
      return c.text('set')
    })
    const newApp = sessionApp(v2, { store: new CookieStore() })
    newApp.get('/', async (c) => c.text(String(await c.var.session.get('counter'))))
    const value = sessionCookie(await oldApp.request('/'))!.value
    const response = await newApp.request('/', { headers: { cookie: `id=${value}` } })
    expect(await response.text()).toBe('41')
    const resealed = openCookie(sessionCookie(response)!.value)!
    expect([resealed.schemaVersion, resealed.data]).toEqual([2, { counter: 41 }])
  })

  it('send nothing when the handler saved and then logged out', async () => {
    const app = cookieStoreApp()
    app.get('/save-then-flush', async (c) => {
      await c.var.session.set('user', 'ada')
      await c.var.session.save()
      await c.var.session.flush()
      return c.text('gone')
    })
    const response = await app.request('/save-then-flush')
    expect([response.status, response.headers.getSetCookie()]).toEqual([200, []])
  })

  it('re-seal an unmodified session only when touchAfter says its expiry moved enough', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const jar = new CookieJar(cookieStoreApp({ expiry: Expiry.onInactivity(3600), touchAfter: 60 }))
    await jar.text('/')
    vi.setSystemTime(new Date('2030-01-01T00:00:30Z'))
    expect(sessionCookie(await jar.fetch('/peek'))).toBeUndefined()
    vi.setSystemTime(new Date('2030-01-01T00:02:00Z'))
    const touched = sessionCookie(await jar.fetch('/peek'))!
    expect(openCookie(touched.value)!.expiresAt).toBe(Date.parse('2030-01-01T01:02:00Z'))
    expect(openCookie(touched.value)!.data).toEqual({ counter: 1 })
  })
})

import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, MemoryStore } from 'typed-sessions'
import type { CookieOptions } from 'typed-sessions'
import { CookieJar, sessionApp, sessionCookie, setCookies } from '../helpers/http.js'
import { recordOfCookie, TestStore } from '../helpers/stores.js'

// DESIGN.md §5: what the middleware does after the handler (Django's rule, as tower-sessions).

const definition = defineSession(
  z.object({ user: z.string().optional(), counter: z.number().int().default(0) })
)

const scoped: CookieOptions = {
  path: '/app',
  domain: 'example.com',
  sameSite: 'Strict',
  secure: true,
  httpOnly: true,
}

function appWith(store: MemoryStore | TestStore, options: { alwaysSave?: boolean } = {}) {
  const app = sessionApp(definition, { store, cookie: scoped, ...options })
  app.post('/app/login', async (c) => {
    await c.var.session.set('user', 'ada')
    return c.text('in')
  })
  app.post('/app/logout', async (c) => {
    await c.var.session.flush()
    return c.text('out')
  })
  app.post('/app/logout-and-crash', async (c) => {
    await c.var.session.flush()
    return c.text('boom', 500)
  })
  app.get('/app/read', async (c) => c.text(String(await c.var.session.get('user'))))
  app.post('/app/increment', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return c.text('ok')
  })
  app.post('/app/increment-and-crash', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return c.text('boom', 503)
  })
  app.post('/app/increment-and-throw', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    throw new Error('handler failed')
  })
  app.get('/app/untouched', (c) => c.text('plain'))
  app.get('/app/vary-encoding', async (c) => {
    c.header('Vary', 'Accept-Encoding')
    await c.var.session.get('user')
    return c.text('ok')
  })
  app.get('/app/vary-encoding-untouched', (c) => {
    c.header('Vary', 'Accept-Encoding')
    return c.text('ok')
  })
  return app
}

async function loggedIn(store: MemoryStore | TestStore, options: { alwaysSave?: boolean } = {}) {
  const app = appWith(store, options)
  const jar = new CookieJar(app)
  await jar.fetch('/app/login', { method: 'POST' })
  const value = jar.cookies.get('id')
  if (value === undefined) throw new Error('login did not set a cookie')
  return { app, jar, value }
}

function expectRemovalCookie(response: Response) {
  const cookie = sessionCookie(response)
  expect(cookie).toBeDefined()
  expect(cookie!.value).toBe('')
  expect(cookie!.attributes['max-age']).toBe('0')
  expect(cookie!.attributes.path).toBe('/app')
  expect(cookie!.attributes.domain).toBe('example.com')
  expect(cookie!.attributes.secure).toBe(true)
  expect(cookie!.attributes.httponly).toBe(true)
  expect(cookie!.attributes.samesite).toBe('Strict')
}

describe('a request that had our cookie and leaves the session empty', () => {
  it('gets a removal cookie with the same Path, Domain, Secure, HttpOnly and SameSite', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store)
    const response = await jar.fetch('/app/logout', { method: 'POST' })
    expect(response.status).toBe(200)
    expectRemovalCookie(response)
    expect(await recordOfCookie(store, value)).toBeUndefined()
  })

  it('gets the removal cookie on a 5xx response too', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store)
    const response = await jar.fetch('/app/logout-and-crash', { method: 'POST' })
    expect(response.status).toBe(500)
    expectRemovalCookie(response)
    expect(await recordOfCookie(store, value)).toBeUndefined()
  })

  it('gets a removal cookie when its id no longer has a record and the handler reads', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store)
    await store.close() // every record gone, e.g. the store was flushed
    const response = await jar.fetch('/app/read')
    expect(await response.text()).toBe('undefined')
    expectRemovalCookie(response)
    expect(jar.cookies.has('id')).toBe(false)
    expect(value).not.toBe('')
  })

  it('gets nothing when the handler never touched the session', async () => {
    const store = new MemoryStore()
    const { jar } = await loggedIn(store)
    await store.close()
    const response = await jar.fetch('/app/untouched')
    expect(setCookies(response)).toEqual([])
  })
})

describe('a session that is not empty and was modified', () => {
  it('is saved, then its cookie is set', async () => {
    const store = new MemoryStore()
    const app = appWith(store)
    const response = await app.request('/app/login', { method: 'POST' })
    const cookie = sessionCookie(response)
    expect(cookie).toBeDefined()
    const record = await recordOfCookie(store, cookie!.value)
    expect(record?.data).toEqual({ user: 'ada' })
    expect(cookie!.attributes.path).toBe('/app')
    expect(cookie!.attributes.domain).toBe('example.com')
  })

  it('is saved on a later request of the same session, under the same cookie', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store)
    const response = await jar.fetch('/app/increment', { method: 'POST' })
    expect(sessionCookie(response)?.value).toBe(value)
    const record = await recordOfCookie(store, value)
    expect(record?.data).toEqual({ user: 'ada', counter: 1 })
    expect(record?.version).toBe(1)
  })

  it('saves the store before the response leaves (the store holds the data when it arrives)', async () => {
    const store = new TestStore()
    const app = appWith(store)
    const response = await app.request('/app/login', { method: 'POST' })
    expect(store.log).toEqual(['create'])
    expect((await recordOfCookie(store, sessionCookie(response)!.value))?.data.user).toBe('ada')
  })
})

describe('a modified session on a 5xx response', () => {
  it('saves nothing and sets no cookie for a new session', async () => {
    const store = new TestStore()
    const app = appWith(store)
    const response = await app.request('/app/increment-and-crash', { method: 'POST' })
    expect(response.status).toBe(503)
    expect(setCookies(response)).toEqual([])
    expect(store.inner.size).toBe(0)
    expect(store.calls.create + store.calls.save).toBe(0)
  })

  it('leaves an existing record untouched and sets no cookie', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store)
    const response = await jar.fetch('/app/increment-and-crash', { method: 'POST' })
    expect(response.status).toBe(503)
    expect(setCookies(response)).toEqual([])
    const record = await recordOfCookie(store, value)
    expect(record?.data).toEqual({ user: 'ada' })
    expect(record?.version).toBe(0)
  })

  it('saves nothing when the handler throws and onError answers 500', async () => {
    const store = new MemoryStore()
    const { app, value } = await loggedIn(store)
    app.onError((_error, c) => c.text('sorry', 500))
    const response = await app.request('/app/increment-and-throw', {
      method: 'POST',
      headers: { Cookie: `id=${value}` },
    })
    expect(response.status).toBe(500)
    expect(setCookies(response)).toEqual([])
    expect((await recordOfCookie(store, value))?.data).toEqual({ user: 'ada' })
  })
})

describe('alwaysSave', () => {
  it('saves an unmodified session and refreshes its cookie', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store, { alwaysSave: true })
    const before = await recordOfCookie(store, value)
    const response = await jar.fetch('/app/read')
    expect(await response.text()).toBe('ada')
    expect(sessionCookie(response)?.value).toBe(value)
    const after = await recordOfCookie(store, value)
    expect(after?.version).toBe(before!.version + 1)
    expect(after?.data).toEqual({ user: 'ada' })
  })

  it('saves even when the handler never touched the session', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store, { alwaysSave: true })
    const response = await jar.fetch('/app/untouched')
    expect(sessionCookie(response)?.value).toBe(value)
    expect((await recordOfCookie(store, value))?.version).toBe(1)
  })

  it('does not create a session for a request without one', async () => {
    const store = new TestStore()
    const app = appWith(store, { alwaysSave: true })
    const response = await app.request('/app/read')
    expect(setCookies(response)).toEqual([])
    expect(store.inner.size).toBe(0)
    expect(store.total).toBe(0)
  })

  it('still saves nothing on a 5xx', async () => {
    const store = new MemoryStore()
    const { jar, value } = await loggedIn(store, { alwaysSave: true })
    const response = await jar.fetch('/app/increment-and-crash', { method: 'POST' })
    expect(setCookies(response)).toEqual([])
    expect((await recordOfCookie(store, value))?.version).toBe(0)
  })
})

describe('every other case', () => {
  it('does nothing for a read-only request of an existing session', async () => {
    const store = new TestStore()
    const { jar, value } = await loggedIn(store)
    store.resetCounts()
    const response = await jar.fetch('/app/read')
    expect(await response.text()).toBe('ada')
    expect(setCookies(response)).toEqual([])
    expect(store.log).toEqual(['load'])
    expect((await recordOfCookie(store, value))?.version).toBe(0)
  })

  it('does nothing for a read of a request without a cookie', async () => {
    const store = new TestStore()
    const app = appWith(store)
    const response = await app.request('/app/read')
    expect(setCookies(response)).toEqual([])
    expect(store.total).toBe(0)
  })

  it('does nothing for a flush of a request without a cookie', async () => {
    const store = new TestStore()
    const app = appWith(store)
    const response = await app.request('/app/logout', { method: 'POST' })
    expect(setCookies(response)).toEqual([])
    expect(store.inner.size).toBe(0)
  })

  it('does nothing for a session saved and then flushed by a request without a cookie', async () => {
    const store = new TestStore()
    const app = appWith(store)
    app.post('/app/save-then-flush', async (c) => {
      await c.var.session.set('user', 'ada')
      await c.var.session.save()
      await c.var.session.flush()
      return c.text('gone')
    })
    const response = await app.request('/app/save-then-flush', { method: 'POST' })
    expect(response.status).toBe(200)
    expect(setCookies(response)).toEqual([])
    expect(store.inner.size).toBe(0)
  })
})

describe('Vary: Cookie', () => {
  it('is set when the handler read the session', async () => {
    const app = appWith(new MemoryStore())
    const response = await app.request('/app/read')
    expect(response.headers.get('Vary')).toBe('Cookie')
  })

  it('is set when the handler wrote the session', async () => {
    const app = appWith(new MemoryStore())
    const response = await app.request('/app/login', { method: 'POST' })
    expect(response.headers.get('Vary')).toBe('Cookie')
  })

  it('is set on the removal cookie response', async () => {
    const { jar } = await loggedIn(new MemoryStore())
    const response = await jar.fetch('/app/logout', { method: 'POST' })
    expect(response.headers.get('Vary')).toBe('Cookie')
  })

  it('is merged with a Vary the handler set', async () => {
    const app = appWith(new MemoryStore())
    const response = await app.request('/app/vary-encoding')
    expect(response.headers.get('Vary')).toBe('Accept-Encoding, Cookie')
  })

  it('is kept when the handler replaces Vary after touching the session', async () => {
    const app = appWith(new MemoryStore())
    app.get('/app/vary-after', async (c) => {
      await c.var.session.get('user')
      c.header('Vary', 'Accept-Encoding')
      return c.text('ok')
    })
    const response = await app.request('/app/vary-after')
    expect(response.headers.get('Vary')).toBe('Accept-Encoding, Cookie')
  })

  it('is set once on a Response the handler built itself', async () => {
    const app = appWith(new MemoryStore())
    app.get('/app/raw', async (c) => {
      await c.var.session.get('user')
      return new Response('raw', { headers: { 'Content-Type': 'text/plain' } })
    })
    app.get('/app/twice', async (c) => {
      await c.var.session.get('user')
      await c.var.session.has('user')
      return c.text('ok')
    })
    expect((await app.request('/app/raw')).headers.get('Vary')).toBe('Cookie')
    expect((await app.request('/app/twice')).headers.get('Vary')).toBe('Cookie')
  })

  it('is absent when the handler did not touch the session', async () => {
    const { jar } = await loggedIn(new MemoryStore())
    const response = await jar.fetch('/app/untouched')
    expect(response.headers.get('Vary')).toBeNull()
  })

  it('leaves the handler’s own Vary alone when the session was not touched', async () => {
    const app = appWith(new MemoryStore())
    const response = await app.request('/app/vary-encoding-untouched')
    expect(response.headers.get('Vary')).toBe('Accept-Encoding')
  })
})

describe('a handler that returns a Response with immutable headers', () => {
  it('still saves the session and sets the cookie after Response.redirect()', async () => {
    const store = new MemoryStore()
    const app = appWith(store)
    app.post('/app/login-redirect', async (c) => {
      await c.var.session.set('user', 'ada')
      return Response.redirect('http://localhost/app/home', 302)
    })
    const response = await app.request('/app/login-redirect', { method: 'POST' })
    expect(response.status).toBe(302)
    const cookie = sessionCookie(response)
    expect(cookie).toBeDefined()
    expect((await recordOfCookie(store, cookie!.value))?.data).toEqual({ user: 'ada' })
    expect(response.headers.get('Vary')).toBe('Cookie')
  })

  it('answers a read-only request with the redirect, not a 500', async () => {
    const app = appWith(new MemoryStore())
    app.get('/app/read-redirect', async (c) => {
      await c.var.session.get('user')
      return Response.redirect('http://localhost/app/home', 302)
    })
    const response = await app.request('/app/read-redirect')
    expect(response.status).toBe(302)
  })

  it('works with c.redirect(), whose headers are mutable', async () => {
    const store = new MemoryStore()
    const app = appWith(store)
    app.post('/app/login-c-redirect', async (c) => {
      await c.var.session.set('user', 'ada')
      return c.redirect('/app/home')
    })
    const response = await app.request('/app/login-c-redirect', { method: 'POST' })
    expect(response.status).toBe(302)
    expect((await recordOfCookie(store, sessionCookie(response)!.value))?.data).toEqual({
      user: 'ada',
    })
  })
})

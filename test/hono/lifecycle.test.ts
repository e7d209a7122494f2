import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, Expiry, MemoryStore } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { CookieJar, SECRET, sessionApp, sessionCookie, setCookies } from '../helpers/http.js'
import { idOfCookie, recordOfCookie, TestStore } from '../helpers/stores.js'

// The integration behaviours of tower-sessions' test suite, and Django's where DESIGN.md differs.

const definition = defineSession(
  z.object({
    foo: z.number().optional(),
    bar: z.string().optional(),
  })
)

function lifecycleApp(
  options: Omit<Partial<SessionMiddlewareOptions>, 'store'> & { store?: TestStore } = {}
) {
  const store = options.store ?? new TestStore()
  const app = sessionApp(definition, { secret: SECRET, ...options, store })
  app.get('/untouched', (c) => c.text('no session here'))
  app.get('/get', async (c) => c.json({ foo: (await c.var.session.get('foo')) ?? null }))
  app.get('/get-bar', async (c) => c.json({ bar: (await c.var.session.get('bar')) ?? null }))
  app.post('/insert', async (c) => {
    await c.var.session.set('foo', 42)
    return c.text('ok')
  })
  app.post('/insert-bar', async (c) => {
    await c.var.session.set('bar', 'hello')
    return c.text('ok')
  })
  app.post('/remove', async (c) => c.json({ existed: await c.var.session.delete('foo') }))
  app.post('/cycle', async (c) => {
    await c.var.session.cycleId()
    return c.json({ id: c.var.session.id ?? null })
  })
  app.post('/flush', async (c) => {
    await c.var.session.flush()
    return c.json({ id: c.var.session.id ?? null })
  })
  app.post('/flush-then-write', async (c) => {
    await c.var.session.flush()
    await c.var.session.set('bar', 'after logout')
    return c.text('ok')
  })
  app.post('/insert-and-crash', async (c) => {
    await c.var.session.set('foo', 7)
    return c.text('boom', 500)
  })
  app.post('/cycle-and-crash', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('bar', 'half logged in')
    return c.text('boom', 500)
  })
  app.post('/clear', async (c) => {
    await c.var.session.clear()
    return c.json({ id: c.var.session.id ?? null })
  })
  return { app, store }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a route that never touches the session', () => {
  it('sets no cookie and makes no store call', async () => {
    const { app, store } = lifecycleApp()
    const response = await app.request('/untouched')
    expect(await response.text()).toBe('no session here')
    expect(setCookies(response)).toEqual([])
    expect(store.total).toBe(0)
  })

  it('sets no cookie and makes no store call when the request carries a valid cookie', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    store.resetCounts()
    const response = await jar.fetch('/untouched')
    expect(setCookies(response)).toEqual([])
    expect(store.total).toBe(0)
  })
})

describe('the session lifecycle across requests', () => {
  it('keeps an inserted value for the next request', async () => {
    const { app } = lifecycleApp()
    const jar = new CookieJar(app)
    const insert = await jar.fetch('/insert', { method: 'POST' })
    expect(sessionCookie(insert)).toBeDefined()
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: 42 })
  })

  it('does not share values with a client that has no cookie', async () => {
    const { app } = lifecycleApp()
    await new CookieJar(app).fetch('/insert', { method: 'POST' })
    expect(await (await app.request('/get')).json()).toEqual({ foo: null })
  })

  it('removes a key, and the removal persists', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    await jar.fetch('/insert-bar', { method: 'POST' })
    const remove = await jar.fetch('/remove', { method: 'POST' })
    expect(await remove.json()).toEqual({ existed: true })
    expect(sessionCookie(remove)).toBeDefined()
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: null })
    expect((await recordOfCookie(store, jar.cookies.get('id')!))?.data).toEqual({ bar: 'hello' })
  })

  it('cycleId gives a new cookie value, keeps the data and deletes the old record', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const old = jar.cookies.get('id')!
    const cycle = await jar.fetch('/cycle', { method: 'POST' })
    const fresh = sessionCookie(cycle)?.value
    expect(fresh).toBeDefined()
    expect(fresh).not.toBe(old)
    expect(idOfCookie(fresh!)).not.toBe(idOfCookie(old))
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: 42 })
    expect(await recordOfCookie(store, old)).toBeUndefined()
    expect((await recordOfCookie(store, fresh!))?.data).toEqual({ foo: 42 })

    const replay = await app.request('/get', { headers: { Cookie: `id=${old}` } })
    expect(await replay.json()).toEqual({ foo: null })
  })

  it('cycleId leaves the id undefined inside the handler until the save', async () => {
    const { app } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    expect(await (await jar.fetch('/cycle', { method: 'POST' })).json()).toEqual({ id: null })
  })

  it('flush removes the cookie and deletes the record', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const old = jar.cookies.get('id')!
    const flush = await jar.fetch('/flush', { method: 'POST' })
    expect(await flush.json()).toEqual({ id: null })
    expect(sessionCookie(flush)?.attributes['max-age']).toBe('0')
    expect(jar.cookies.has('id')).toBe(false)
    expect(await recordOfCookie(store, old)).toBeUndefined()
    const replay = await app.request('/get', { headers: { Cookie: `id=${old}` } })
    expect(await replay.json()).toEqual({ foo: null })
  })

  it('flush then a write in the same request gets a brand-new id (differs from tower-sessions)', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const old = jar.cookies.get('id')!
    const response = await jar.fetch('/flush-then-write', { method: 'POST' })
    const fresh = sessionCookie(response)?.value
    expect(fresh).toBeDefined()
    expect(idOfCookie(fresh!)).not.toBe(idOfCookie(old))
    expect(await recordOfCookie(store, old)).toBeUndefined()
    expect((await recordOfCookie(store, fresh!))?.data).toEqual({ bar: 'after logout' })
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: null })
  })

  it('deleting a missing key is not a modification: no Set-Cookie, no save', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert-bar', { method: 'POST' })
    store.resetCounts()
    const response = await jar.fetch('/remove', { method: 'POST' })
    expect(await response.json()).toEqual({ existed: false })
    expect(setCookies(response)).toEqual([])
    expect(store.calls.save).toBe(0)
  })

  it('setting the same value again is not saved again', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    store.resetCounts()
    const again = await jar.fetch('/insert', { method: 'POST' })
    expect(setCookies(again)).toEqual([])
    expect(store.calls.save + store.calls.create).toBe(0)
    expect((await recordOfCookie(store, jar.cookies.get('id')!))?.version).toBe(0)
  })

  it('does not save the changes of a handler that answered 5xx', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const crash = await jar.fetch('/insert-and-crash', { method: 'POST' })
    expect(crash.status).toBe(500)
    expect(setCookies(crash)).toEqual([])
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: 42 })
    expect((await recordOfCookie(store, jar.cookies.get('id')!))?.data).toEqual({ foo: 42 })
  })

  it('never adopts an unknown id: a write gets a fresh id', async () => {
    const { app: otherApp } = lifecycleApp()
    // A cookie with a valid signature (same secret and name) whose id this store never held.
    const foreign = sessionCookie(await otherApp.request('/insert', { method: 'POST' }))!.value
    const { app, store } = lifecycleApp()
    const response = await app.request('/insert-bar', {
      method: 'POST',
      headers: { Cookie: `id=${foreign}` },
    })
    const fresh = sessionCookie(response)?.value
    expect(fresh).toBeDefined()
    expect(idOfCookie(fresh!)).not.toBe(idOfCookie(foreign))
    expect(await recordOfCookie(store, foreign)).toBeUndefined()
    expect((await recordOfCookie(store, fresh!))?.data).toEqual({ bar: 'hello' })
  })

  it('reads an expired session as new, and a write gets a fresh id', async () => {
    const { app, store } = lifecycleApp({ expiry: Expiry.onInactivity(1) })
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const old = jar.cookies.get('id')!
    await sleep(1100)
    const read = await app.request('/get', { headers: { Cookie: `id=${old}` } })
    expect(await read.json()).toEqual({ foo: null })
    const write = await app.request('/insert-bar', {
      method: 'POST',
      headers: { Cookie: `id=${old}` },
    })
    const fresh = sessionCookie(write)?.value
    expect(fresh).toBeDefined()
    expect(idOfCookie(fresh!)).not.toBe(idOfCookie(old))
    expect((await recordOfCookie(store, fresh!))?.data).toEqual({ bar: 'hello' })
  })

  it('reads a session expired by the store clock as new', async () => {
    let now = Date.now()
    const store = new TestStore(new MemoryStore({ now: () => now }))
    const { app } = lifecycleApp({ store, expiry: Expiry.onInactivity(60) })
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: 42 })
    now += 61_000
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: null })
  })

  it('clear() keeps the id: the same cookie, an empty record', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const before = jar.cookies.get('id')!
    const clear = await jar.fetch('/clear', { method: 'POST' })
    const body = (await clear.json()) as { id: string | null }
    expect(body.id).toBe(idOfCookie(before))
    expect(sessionCookie(clear)?.value).toBe(before)
    expect(jar.cookies.get('id')).toBe(before)
    const record = await recordOfCookie(store, before)
    expect(record?.data).toEqual({})
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: null })
  })
})

describe('inside one request', () => {
  it('concurrent reads share a single store load', async () => {
    const { app, store } = lifecycleApp()
    app.get('/both', async (c) => {
      const [foo, bar] = await Promise.all([c.var.session.get('foo'), c.var.session.get('bar')])
      return c.json({ foo: foo ?? null, bar: bar ?? null })
    })
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    store.resetCounts()
    expect(await (await jar.fetch('/both')).json()).toEqual({ foo: 42, bar: null })
    expect(store.log).toEqual(['load'])
  })

  it('save() in the handler gives a new session its id at once', async () => {
    const { app, store } = lifecycleApp()
    app.post('/explicit-save', async (c) => {
      const before = c.var.session.id ?? null
      await c.var.session.set('foo', 1)
      await c.var.session.save()
      return c.json({ before, after: c.var.session.id ?? null })
    })
    const response = await app.request('/explicit-save', { method: 'POST' })
    const body = (await response.json()) as { before: string | null; after: string | null }
    expect(body.before).toBeNull()
    expect(body.after).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(store.calls.create).toBe(1)
  })

  it('save() in the handler of a new session still sends its cookie', async () => {
    const { app, store } = lifecycleApp()
    app.post('/explicit-save', async (c) => {
      await c.var.session.set('foo', 1)
      await c.var.session.save()
      return c.text('ok')
    })
    const response = await app.request('/explicit-save', { method: 'POST' })
    const cookie = sessionCookie(response)
    expect(cookie).toBeDefined()
    expect((await recordOfCookie(store, cookie!.value))?.data).toEqual({ foo: 1 })
  })

  it('cycleId() then save() in the handler still sends the new cookie', async () => {
    const { app } = lifecycleApp()
    app.post('/login-and-save', async (c) => {
      await c.var.session.cycleId()
      await c.var.session.set('bar', 'logged in')
      await c.var.session.save()
      return c.text('ok')
    })
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const old = jar.cookies.get('id')
    const response = await jar.fetch('/login-and-save', { method: 'POST' })
    expect(sessionCookie(response)?.value).toBeDefined()
    expect(sessionCookie(response)?.value).not.toBe(old)
    expect(await (await jar.fetch('/get-bar')).json()).toEqual({ bar: 'logged in' })
  })

  it('a 5xx after cycleId() keeps the old session: nothing is deleted or created', async () => {
    const { app, store } = lifecycleApp()
    const jar = new CookieJar(app)
    await jar.fetch('/insert', { method: 'POST' })
    const before = jar.cookies.get('id')!
    const response = await jar.fetch('/cycle-and-crash', { method: 'POST' })
    expect(response.status).toBe(500)
    expect(sessionCookie(response)).toBeUndefined()
    expect(jar.cookies.get('id')).toBe(before)
    expect((await recordOfCookie(store, before))?.data).toEqual({ foo: 42 })
    expect(await (await jar.fetch('/get')).json()).toEqual({ foo: 42 })
  })
})

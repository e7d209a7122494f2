import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, isSessionError } from 'typed-sessions'
import type { SessionError } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import {
  CookieJar,
  OTHER_SECRET,
  SECRET,
  sessionApp,
  sessionCookie,
  setCookies,
} from '../helpers/http.js'
import { deferred, recordOfCookie, TestStore } from '../helpers/stores.js'

// DESIGN.md §5: a store failure surfaces as SessionError STORE_UNAVAILABLE (cause set) through
// app.onError, and no cookie promises data that was not persisted. §6: collisions and conflicts.

const definition = defineSession(
  z.object({
    a: z.string().optional(),
    b: z.string().optional(),
    counter: z.number().int().default(0),
  })
)

function failureApp(store: TestStore, options: Partial<SessionMiddlewareOptions> = {}) {
  const app = sessionApp(definition, { ...options, store })
  const errors: unknown[] = []
  app.onError((error, c) => {
    errors.push(error)
    return c.json({ code: isSessionError(error) ? error.code : 'OTHER' }, 503)
  })
  app.get('/read', async (c) => c.json({ counter: await c.var.session.get('counter') }))
  app.post('/increment', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return c.text('ok')
  })
  app.post('/flush', async (c) => {
    await c.var.session.flush()
    return c.text('ok')
  })
  app.post('/cycle', async (c) => {
    await c.var.session.cycleId()
    return c.text('ok')
  })
  app.get('/untouched', (c) => c.text('plain'))
  return { app, errors }
}

function expectStoreUnavailable(errors: unknown[], cause: Error): SessionError {
  expect(errors).toHaveLength(1)
  const error = errors[0]
  expect(isSessionError(error)).toBe(true)
  if (!isSessionError(error)) throw error
  expect(error.code).toBe('STORE_UNAVAILABLE')
  expect(error.cause).toBe(cause)
  return error
}

describe('a store that throws', () => {
  it('on load: the error reaches app.onError as STORE_UNAVAILABLE with the cause', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    const cause = new Error('connection refused')
    store.failOn('load', cause)
    const response = await jar.fetch('/read')
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ code: 'STORE_UNAVAILABLE' })
    expect(expectStoreUnavailable(errors, cause).message).toMatch(/store/)
    expect(setCookies(response)).toEqual([])
  })

  it('on create: no cookie is set for the session that was not persisted', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    const cause = new Error('disk full')
    store.failOn('create', cause)
    const response = await app.request('/increment', { method: 'POST' })
    expect(response.status).toBe(503)
    expectStoreUnavailable(errors, cause)
    expect(setCookies(response)).toEqual([])
    expect(store.inner.size).toBe(0)
  })

  it('on save: no cookie is set and the stored record is unchanged', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    const cause = new Error('timeout')
    store.failOn('save', cause)
    const response = await jar.fetch('/increment', { method: 'POST' })
    expect(response.status).toBe(503)
    const { message } = expectStoreUnavailable(errors, cause)
    // A store that threw did not commit, unless its reply was lost after the commit.
    expect(message).toMatch(/The session was not saved, unless .*commit.*; no cookie was sent\.$/)
    expect(setCookies(response)).toEqual([])
    expect((await recordOfCookie(store, jar.cookies.get('id')!))?.data).toEqual({ counter: 1 })
  })

  it('on delete during flush: the removal cookie is sent anyway, so the browser is logged out', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    const cause = new Error('read-only replica')
    store.failOn('delete', cause)
    const response = await jar.fetch('/flush', { method: 'POST' })
    expect(response.status).toBe(503)
    expectStoreUnavailable(errors, cause)
    expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
    expect(jar.cookies.has('id')).toBe(false)
    store.heal()
    expect(await (await jar.fetch('/read')).json()).toEqual({ counter: 0 })
  })

  it('on delete during cycleId: no new cookie', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    const cause = new Error('read-only replica')
    store.failOn('delete', cause)
    const response = await jar.fetch('/cycle', { method: 'POST' })
    expect(response.status).toBe(503)
    expectStoreUnavailable(errors, cause)
    expect(setCookies(response)).toEqual([])
  })

  it('on the load of a key-rotation re-issue: no re-issued cookie', async () => {
    const store = new TestStore()
    const { app: oldApp } = failureApp(store, { secret: OTHER_SECRET })
    const old = sessionCookie(await oldApp.request('/increment', { method: 'POST' }))!.value
    const { app, errors } = failureApp(store, { secret: [SECRET, OTHER_SECRET] })
    const cause = new Error('connection reset')
    store.failOn('load', cause)
    const response = await app.request('/untouched', { headers: { Cookie: `id=${old}` } })
    expect(response.status).toBe(503)
    expectStoreUnavailable(errors, cause)
    expect(setCookies(response)).toEqual([])
  })

  it('with a non-Error value: it is still the cause', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    store.failOn('create', 'a string thrown by a driver')
    const response = await app.request('/increment', { method: 'POST' })
    expect(response.status).toBe(503)
    expect(errors).toHaveLength(1)
    expect((errors[0] as SessionError).cause).toBe('a string thrown by a driver')
  })
})

describe('a store that answers false', () => {
  it('from every create: ID_COLLISION, no cookie', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    store.refuse('create')
    const response = await app.request('/increment', { method: 'POST' })
    expect(await response.json()).toEqual({ code: 'ID_COLLISION' })
    expect(setCookies(response)).toEqual([])
    expect(store.calls.create).toBeGreaterThan(1) // it retried with fresh ids
    expect(isSessionError(errors[0]) && errors[0].code).toBe('ID_COLLISION')
  })

  it('from every compare-and-set save: CONFLICT after retries, no cookie', async () => {
    const store = new TestStore()
    const { app, errors } = failureApp(store)
    const jar = new CookieJar(app)
    await jar.fetch('/increment', { method: 'POST' })
    store.refuse('save')
    store.resetCounts()
    const response = await jar.fetch('/increment', { method: 'POST' })
    expect(await response.json()).toEqual({ code: 'CONFLICT' })
    expect(setCookies(response)).toEqual([])
    expect(store.calls.save).toBeGreaterThan(1) // it reloaded and retried
    expect(isSessionError(errors[0]) && errors[0].message).toMatch(/[Rr]etry/)
    expect((await recordOfCookie(store, jar.cookies.get('id')!))?.data).toEqual({ counter: 1 })
  })
})

describe('concurrent requests on one session', () => {
  it('that set different keys both keep their key (merged on conflict)', async () => {
    const store = new TestStore()
    const app = sessionApp(definition, { store })
    const bothLoaded = deferred()
    let loaded = 0
    const arrived = () => {
      if (++loaded === 2) bothLoaded.resolve()
      return bothLoaded.promise
    }
    app.post('/set/:key', async (c) => {
      const key = c.req.param('key') === 'a' ? 'a' : 'b'
      await c.var.session.get('counter') // both requests load version 0 first
      await arrived()
      await c.var.session.set(key, `from ${key}`)
      return c.text('ok')
    })
    app.post('/start', async (c) => {
      await c.var.session.set('counter', 1)
      return c.text('ok')
    })
    const value = sessionCookie(await app.request('/start', { method: 'POST' }))!.value
    store.resetCounts()
    const headers = { Cookie: `id=${value}` }
    const [first, second] = await Promise.all([
      app.request('/set/a', { method: 'POST', headers }),
      app.request('/set/b', { method: 'POST', headers }),
    ])
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    // Queued in this process, the second save starts from what the first wrote: no conflict.
    expect(store.calls.save).toBe(2)
    const record = await recordOfCookie(store, value)
    expect(record?.data).toEqual({ counter: 1, a: 'from a', b: 'from b' })
    expect(record?.version).toBe(2)
  })

  it('where one deletes a key and the other sets another: both changes survive', async () => {
    const store = new TestStore()
    const app = sessionApp(definition, { store })
    const bothLoaded = deferred()
    let loaded = 0
    app.post('/start', async (c) => {
      await c.var.session.set('a', 'initial')
      return c.text('ok')
    })
    app.post('/change/:what', async (c) => {
      await c.var.session.get('a')
      if (++loaded === 2) bothLoaded.resolve()
      await bothLoaded.promise
      if (c.req.param('what') === 'delete') await c.var.session.delete('a')
      else await c.var.session.set('b', 'added')
      return c.text('ok')
    })
    const value = sessionCookie(await app.request('/start', { method: 'POST' }))!.value
    const headers = { Cookie: `id=${value}` }
    await Promise.all([
      app.request('/change/delete', { method: 'POST', headers }),
      app.request('/change/add', { method: 'POST', headers }),
    ])
    expect((await recordOfCookie(store, value))?.data).toEqual({ b: 'added' })
  })
})

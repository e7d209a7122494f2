import { describe, expect, it, vi } from 'vitest'
import { MemoryStore, recordKeyOf } from 'typed-sessions'
import type { SessionStore } from 'typed-sessions'
import { counterSession } from '../../schemas/counter.js'
import { EventLog } from '../helpers/events.js'
import { faultApp } from '../helpers/fault-app.js'
import { CookieJar, sessionApp, sessionCookie } from '../helpers/http.js'
import { deferred, idOfCookie, TestStore } from '../helpers/stores.js'

// DESIGN.md §13 and §8: what a handler hears of conflicts, failed store calls and timeouts.

/** The counter on `store`; `POST /slow` reads the counter, waits for `hold`, then increments. */
function counterApp(store: SessionStore, log: EventLog, hold?: Promise<void>) {
  const app = sessionApp(counterSession, { store, on: log.on, conflictTimeout: 10_000 })
  app.post('/increment', async (c) => c.json(await c.var.session.update('counter', (n) => n + 1)))
  app.post('/slow', async (c) => {
    await c.var.session.get('counter')
    await hold
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  app.get('/read', async (c) => c.json(await c.var.session.get('counter')))
  return app
}

describe('a compare-and-set that loses to a concurrent save', () => {
  it('tells conflict with the attempt, then saved after the retry', async () => {
    // Two processes in effect: two stores over one backend, so neither's save lane orders the
    // other's saves and the second save really meets a changed version.
    const backend = new MemoryStore()
    const log = new EventLog()
    const hold = deferred()
    const slowApp = counterApp(new TestStore(backend), log, hold.promise)
    const fastApp = counterApp(new TestStore(backend), new EventLog())
    const jar = new CookieJar(fastApp)
    await jar.fetch('/increment', { method: 'POST' })
    const cookie = `id=${jar.cookies.get('id')!}`

    const slow = slowApp.request('/slow', { method: 'POST', headers: { cookie } })
    await vi.waitFor(() => expect(log.of('loaded')).toHaveLength(1))
    // The other process saves first, while the slow request holds the version it loaded.
    expect(
      await (await fastApp.request('/increment', { method: 'POST', headers: { cookie } })).json()
    ).toBe(2)
    hold.resolve()
    // `update` answers what it computed when called; the save replays it on the fresh record.
    expect(await (await slow).json()).toBe(2)

    const recordKey = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
    const [conflict] = log.of('conflict')
    expect(log.of('conflict')).toHaveLength(1)
    expect(conflict).toMatchObject({ recordKey, attempt: 1 })
    expect(conflict!.durationMs).toBeGreaterThanOrEqual(0)
    expect(log.of('saved')).toEqual([
      expect.objectContaining({ recordKey, version: 2, attempts: 2 }),
    ])
    expect(await (await fastApp.request('/read', { headers: { cookie } })).json()).toBe(3)
  })
})

describe('a store call that fails', () => {
  it('tells storeError with the operation, and the request still gets the error', async () => {
    const store = new TestStore()
    const log = new EventLog()
    const { app, errors } = faultApp(store, { on: log.on })
    const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
    const down = new Error('connection refused')
    store.failOn('load', down)
    const response = await app.request('/increment', {
      method: 'POST',
      headers: { cookie: `id=${cookie}` },
    })
    expect(response.status).toBe(503)
    expect(errors).toHaveLength(1)
    const [event] = log.of('storeError')
    expect(log.of('storeError')).toHaveLength(1)
    expect(event).toMatchObject({
      recordKey: recordKeyOf(idOfCookie(cookie)),
      operation: 'load',
      timeout: false,
    })
    expect(event!.error).toBe(errors[0])
    expect(event!.error.code).toBe('STORE_UNAVAILABLE')
    expect(event!.error.cause).toBe(down)
  })

  it('tells storeError for a failed create, before the new session has a record key', async () => {
    const store = new TestStore()
    const log = new EventLog()
    const { app } = faultApp(store, { on: log.on })
    store.failOn('create')
    expect((await app.request('/increment', { method: 'POST' })).status).toBe(503)
    expect(log.of('storeError')).toEqual([
      expect.objectContaining({ operation: 'create', recordKey: undefined, timeout: false }),
    ])
    expect(log.of('created')).toEqual([])
  })

  it('tells a call that did not settle within storeTimeout as a timeout', async () => {
    const inner = new MemoryStore()
    const log = new EventLog()
    const hung: SessionStore = {
      create: (record) => inner.create(record),
      load: () => new Promise(() => {}),
      save: (record, expected) => inner.save(record, expected),
      delete: (key) => inner.delete(key),
    }
    const healthy = faultApp(inner)
    const cookie = sessionCookie(await healthy.app.request('/increment', { method: 'POST' }))!
    const { app } = faultApp(hung, { on: log.on, storeTimeout: 50 })
    const response = await app.request('/increment', {
      method: 'POST',
      headers: { cookie: `id=${cookie.value}` },
    })
    expect(response.status).toBe(503)
    const [event] = log.of('storeError')
    expect(event).toMatchObject({ operation: 'load', timeout: true })
    expect(event!.durationMs).toBeGreaterThanOrEqual(45)
    expect((event!.error.cause as Error).name).toBe('TimeoutError')
  })
})

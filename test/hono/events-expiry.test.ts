import { afterEach, describe, expect, it, vi } from 'vitest'
import { Expiry, MemoryStore, recordKeyOf, startExpiredDeletion } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { counterSession } from '../../schemas/counter.js'
import { EventLog } from '../helpers/events.js'
import { CookieJar, sessionApp } from '../helpers/http.js'
import { idOfCookie, rewriteRecordOfCookie } from '../helpers/stores.js'

// DESIGN.md §13: sessions that end by time, seen on load or removed by deleteExpired.

function counterApp(store: MemoryStore, log: EventLog, options: Partial<SessionMiddlewareOptions>) {
  const app = sessionApp(counterSession, { store, on: log.on, ...options })
  app.post('/increment', async (c) => c.json(await c.var.session.update('counter', (n) => n + 1)))
  return app
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the expired event', () => {
  it('tells a verified cookie whose record had expired when the request loaded it', async () => {
    const clock = { now: Date.now() }
    const store = new MemoryStore({ now: () => clock.now })
    const log = new EventLog()
    const jar = new CookieJar(counterApp(store, log, { expiry: Expiry.onInactivity(60) }))
    await jar.fetch('/increment', { method: 'POST' })
    const recordKey = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
    clock.now += 61_000
    log.clear()
    expect(await (await jar.fetch('/increment', { method: 'POST' })).json()).toBe(1)
    expect(log.of('expired')).toEqual([
      { type: 'expired', recordKey, at: expect.any(Number), via: 'load' },
    ])
    expect(log.of('loaded')).toEqual([])
    expect(log.of('created')).toHaveLength(1)
  })

  it('tells a record ended by absoluteTimeout once, as absoluteTimeout', async () => {
    const store = new MemoryStore()
    const log = new EventLog()
    const jar = new CookieJar(counterApp(store, log, { absoluteTimeout: 60 }))
    await jar.fetch('/increment', { method: 'POST' })
    const cookie = jar.cookies.get('id')!
    await rewriteRecordOfCookie(store, cookie, { createdAt: Date.now() - 61_000 })
    log.clear()
    expect(await (await jar.fetch('/increment', { method: 'POST' })).json()).toBe(1)
    expect(log.of('expired')).toEqual([
      {
        type: 'expired',
        recordKey: recordKeyOf(idOfCookie(cookie)),
        at: expect.any(Number),
        via: 'absoluteTimeout',
      },
    ])
  })

  it('tells each startExpiredDeletion run that removed records, with the count', async () => {
    const clock = { now: Date.now() }
    const store = new MemoryStore({ now: () => clock.now })
    const log = new EventLog()
    const app = counterApp(store, new EventLog(), { expiry: Expiry.onInactivity(60) })
    for (let i = 0; i < 3; i++) await app.request('/increment', { method: 'POST' })
    clock.now += 61_000
    const stop = startExpiredDeletion(store, { intervalMs: 60_000, on: log.on })
    await vi.waitFor(() => expect(log.of('expired')).toHaveLength(1))
    await stop()
    expect(log.of('expired')[0]).toEqual({
      type: 'expired',
      recordKey: undefined,
      at: expect.any(Number),
      via: 'deleteExpired',
      count: 3,
    })
    expect(store.size).toBe(0)
  })

  it('tells a failed deleteExpired run as a storeError', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const store = new MemoryStore()
    const down = new Error('disk full')
    store.deleteExpired = () => Promise.reject(down)
    const log = new EventLog()
    const stop = startExpiredDeletion(store, { intervalMs: 60_000, on: log.on })
    await vi.waitFor(() => expect(log.of('storeError')).toHaveLength(1))
    await stop()
    const [event] = log.of('storeError')
    expect(event).toMatchObject({
      operation: 'deleteExpired',
      recordKey: undefined,
      timeout: false,
    })
    expect(event!.error.code).toBe('STORE_UNAVAILABLE')
    expect(event!.error.cause).toBe(down)
  })
})

import { describe, expect, it } from 'vitest'
import { MemoryStore, isSessionError } from 'typed-sessions'
import type { SessionRecord, SessionStore } from 'typed-sessions'
import { faultApp } from '../helpers/fault-app.js'
import { sessionCookie, setCookies } from '../helpers/http.js'
import { deferred, recordOfCookie, type StoreOperation } from '../helpers/stores.js'

// DESIGN.md §8: `storeTimeout` bounds a request's store time as a whole, not each call: waiting
// in the save lane behind a hung save and every store call count against one budget.

const STORE_TIMEOUT = 200
/** A bound, not a benchmark: about one storeTimeout, with slack for a busy 2-core machine. */
const BOUND = 1.5 * STORE_TIMEOUT

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `inner` behind a store that carries out each operation after `delays[operation]` ms (never,
 * for `Infinity`) or once that promise resolves, as a server under a lock or a pause would.
 */
function slowStore(
  inner: MemoryStore,
  delays: Partial<Record<StoreOperation, number | Promise<void>>>
) {
  const after = async <T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> => {
    const delay = delays[operation] ?? 0
    if (delay === Infinity) return new Promise<T>(() => {})
    await (typeof delay === 'number' ? pause(delay) : delay)
    return run()
  }
  const store: SessionStore = {
    create: (record: SessionRecord) => after('create', () => inner.create(record)),
    load: (key) => after('load', () => inner.load(key)),
    save: (record, expected) => after('save', () => inner.save(record, expected)),
    delete: (key) => after('delete', () => inner.delete(key)),
  }
  return store
}

/** A session started on `inner` through a healthy app; its cookie value. */
async function startedSession(inner: MemoryStore): Promise<string> {
  const { app } = faultApp(inner)
  return sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
}

/** Each error is STORE_UNAVAILABLE with a TimeoutError cause. */
function expectTimeouts(errors: unknown[], count: number) {
  expect(errors).toHaveLength(count)
  for (const error of errors) {
    expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
    expect(((error as Error).cause as Error).name).toBe('TimeoutError')
  }
}

describe('storeTimeout, the budget of a request', () => {
  it('with saves hanging, 10 concurrent requests of one session each fail after about one storeTimeout', async () => {
    const inner = new MemoryStore()
    const cookie = await startedSession(inner)
    const store = slowStore(inner, { save: Infinity })
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    const timed = Array.from({ length: 10 }, async () => {
      const started = performance.now()
      const response = await app.request('/increment', {
        method: 'POST',
        headers: { Cookie: `id=${cookie}` },
      })
      return { response, ms: performance.now() - started }
    })
    for (const { response, ms } of await Promise.all(timed)) {
      expect(response.status).toBe(503)
      expect(setCookies(response)).toEqual([])
      expect(ms).toBeLessThan(BOUND) // queued behind the hung save, not a full timeout after it
    }
    expectTimeouts(errors, 10)
  })

  it('a login of five store calls, each answering in 0.8 storeTimeout, fails after about one', async () => {
    const inner = new MemoryStore()
    const cookie = await startedSession(inner)
    const delay = 0.8 * STORE_TIMEOUT
    const store = slowStore(inner, { create: delay, load: delay, save: delay, delete: delay })
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    app.post('/login', async (c) => {
      await c.var.session.cycleId() // load, create, compare-and-set, marker, delete
      await c.var.session.set('counter', 1)
      return c.text('ok')
    })
    const started = performance.now()
    const response = await app.request('/login', {
      method: 'POST',
      headers: { Cookie: `id=${cookie}` },
    })
    const ms = performance.now() - started
    expect(response.status).toBe(503)
    expect(setCookies(response)).toEqual([])
    expect(ms).toBeGreaterThanOrEqual(0.75 * STORE_TIMEOUT)
    expect(ms).toBeLessThan(BOUND)
    expectTimeouts(errors, 1)
  })

  it('says a timed-out save may or may not have been saved: it can still land', async () => {
    const inner = new MemoryStore()
    const cookie = await startedSession(inner)
    const landing = deferred()
    const store = slowStore(inner, { save: landing.promise })
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    const response = await app.request('/increment', {
      method: 'POST',
      headers: { Cookie: `id=${cookie}` },
    })
    expect(response.status).toBe(503)
    expect(setCookies(response)).toEqual([])
    expectTimeouts(errors, 1)
    expect((errors[0] as Error).message).toMatch(
      /The session may or may not have been saved; no cookie was sent\.$/
    )
    landing.resolve() // the store recovers: the write it had accepted lands after all
    await pause(10)
    expect((await recordOfCookie(inner, cookie))?.data).toEqual({ counter: 2 })
  })

  it('lets a request whose calls fit in the budget together succeed', async () => {
    const inner = new MemoryStore()
    const cookie = await startedSession(inner)
    const store = slowStore(inner, { load: 0.3 * STORE_TIMEOUT, save: 0.3 * STORE_TIMEOUT })
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    const response = await app.request('/increment', {
      method: 'POST',
      headers: { Cookie: `id=${cookie}` },
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('2')
    expect(errors).toEqual([])
  })
})

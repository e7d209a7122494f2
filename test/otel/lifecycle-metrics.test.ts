import { afterEach, describe, expect, it, vi } from 'vitest'
import { Expiry, MemoryStore, recordKeyOf, startExpiredDeletion } from 'typed-sessions'
import { CookieJar } from '../helpers/http.js'
import { TelemetryRecorder } from '../helpers/otel.js'
import { tracedCounterApp } from '../helpers/otel-app.js'
import { idOfCookie, rewriteRecordOfCookie } from '../helpers/stores.js'

// typed-sessions/otel: the counters and histograms of the sessions' lifecycle, through a real
// Hono app, and that none of what is recorded names a session.

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('the lifecycle counters', () => {
  it('count new sessions, logins (not as new sessions) and logouts', async () => {
    const recorder = new TelemetryRecorder()
    const app = tracedCounterApp(recorder, new MemoryStore())
    const [alice, bob] = [new CookieJar(app), new CookieJar(app)]
    await alice.fetch('/increment', { method: 'POST' })
    await bob.fetch('/increment', { method: 'POST' })
    await alice.fetch('/login', { method: 'POST' })
    await bob.fetch('/logout', { method: 'POST' })
    expect(await recorder.count('typed_sessions.session.created')).toBe(2)
    expect(await recorder.count('typed_sessions.session.cycled')).toBe(1)
    expect(await recorder.points('typed_sessions.session.ended')).toEqual([
      expect.objectContaining({ attributes: { 'typed_sessions.end_reason': 'logout' }, value: 1 }),
    ])
  })

  it('count a revocation apart from a logout', async () => {
    // Nothing in a request revokes yet (sessions per user will): the event as it will come.
    const recorder = new TelemetryRecorder()
    recorder.telemetry.on.flushed!({ type: 'flushed', recordKey: 'k', at: 0, reason: 'revoked' })
    expect(
      await recorder.count('typed_sessions.session.ended', {
        'typed_sessions.end_reason': 'revoked',
      })
    ).toBe(1)
    expect(
      await recorder.count('typed_sessions.session.ended', {
        'typed_sessions.end_reason': 'logout',
      })
    ).toBe(0)
  })

  it('count sessions ended by time, by how: on load, by absoluteTimeout, by deleteExpired', async () => {
    const recorder = new TelemetryRecorder()
    const clock = { now: Date.now() }
    const store = new MemoryStore({ now: () => clock.now })
    const app = tracedCounterApp(recorder, store, {
      expiry: Expiry.onInactivity(60),
      absoluteTimeout: 3600,
    })
    const jars = [new CookieJar(app), new CookieJar(app), new CookieJar(app)]
    for (const jar of jars) await jar.fetch('/increment', { method: 'POST' })
    // Past its absolute end (the MemoryStore does not hide it: its expiresAt is still ahead).
    await rewriteRecordOfCookie(store, jars[0]!.cookies.get('id')!, {
      createdAt: clock.now - 3_601_000,
    })
    await jars[0]!.fetch('/increment', { method: 'POST' })
    clock.now += 61_000
    // Idle for 61 s: the first visitor's new record and the other two visitors' records.
    const instrumented = recorder.telemetry.instrument(store) // the app's, as it instrumented it
    const stop = startExpiredDeletion(instrumented, {
      intervalMs: 60_000,
      on: recorder.telemetry.on,
    })
    const via = (name: string) => ({ 'typed_sessions.expired_via': name })
    await vi.waitFor(async () =>
      expect(await recorder.count('typed_sessions.session.expired', via('deleteExpired'))).toBe(3)
    )
    await stop()
    await jars[1]!.fetch('/increment', { method: 'POST' }) // its cookie verifies, its record is gone
    expect(await recorder.count('typed_sessions.session.expired', via('absoluteTimeout'))).toBe(1)
    expect(await recorder.count('typed_sessions.session.expired', via('load'))).toBe(1)
    expect(await recorder.count('typed_sessions.session.expired')).toBe(5)
    expect(recorder.finished('deleteExpired')).toHaveLength(1)
  })

  it('count cookies that did not verify, with the decision', async () => {
    const recorder = new TelemetryRecorder()
    const app = tracedCounterApp(recorder, new MemoryStore())
    const response = await app.request('/read', { headers: { cookie: 'id=forged.signature' } })
    expect(await response.json()).toBe(0)
    expect(await recorder.points('typed_sessions.invalid')).toEqual([
      expect.objectContaining({
        attributes: {
          'typed_sessions.invalid_reason': 'cookie',
          'typed_sessions.decision': 'drop',
        },
        value: 1,
      }),
    ])
  })
})

describe('stored data that does not fit the schema', () => {
  it('is counted as invalid with the decision, in place of the development warning', async () => {
    vi.stubEnv('NODE_ENV', 'development')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const recorder = new TelemetryRecorder()
    const store = new MemoryStore()
    const jar = new CookieJar(tracedCounterApp(recorder, store))
    await jar.fetch('/increment', { method: 'POST' })
    await rewriteRecordOfCookie(store, jar.cookies.get('id')!, { data: { counter: 'three' } })
    expect(await (await jar.fetch('/read')).json()).toBe(0) // dropped: read as the default
    expect(await recorder.points('typed_sessions.invalid')).toEqual([
      expect.objectContaining({
        attributes: { 'typed_sessions.invalid_reason': 'value', 'typed_sessions.decision': 'drop' },
        value: 1,
      }),
    ])
    expect(warn).not.toHaveBeenCalled()
  })
})

describe('the record size histogram', () => {
  it('takes the bytes of every record written, as JSON', async () => {
    const recorder = new TelemetryRecorder()
    const jar = new CookieJar(tracedCounterApp(recorder, new MemoryStore()))
    for (let i = 0; i < 10; i++) await jar.fetch('/increment', { method: 'POST' })
    const [sizes] = await recorder.histogram('typed_sessions.record.size')
    expect(sizes!.value.count).toBe(10)
    // {"counter":1} … {"counter":9} are 13 bytes, {"counter":10} is 14.
    expect(sizes!.value.sum).toBe(9 * 13 + 14)
    expect(sizes!.value.min).toBe(13)
    expect(sizes!.value.max).toBe(14)
  })
})

describe('what the telemetry records', () => {
  it('holds no session id, record key or cookie value, in any span, event or metric', async () => {
    const recorder = new TelemetryRecorder()
    const store = new MemoryStore()
    const jar = new CookieJar(tracedCounterApp(recorder, store))
    await jar.fetch('/increment', { method: 'POST' })
    const first = jar.cookies.get('id')!
    await jar.fetch('/login', { method: 'POST' })
    const second = jar.cookies.get('id')!
    await jar.fetch('/increment', { method: 'POST' })
    await jar.fetch('/logout', { method: 'POST' })
    const secrets = [first, second].flatMap((cookie) => {
      const id = idOfCookie(cookie)
      return [cookie, id, recordKeyOf(id)]
    })
    const values = (await recorder.attributeValues()).map(String)
    expect(values.length).toBeGreaterThan(20)
    for (const secret of secrets) {
      expect(values.filter((value) => value.includes(secret))).toEqual([])
    }
  })
})

import { describe, expect, it } from 'vitest'
import {
  CookieStore,
  MemoryStore,
  startExpiredDeletion,
  type SessionRecord,
  type SessionStore,
} from 'typed-sessions'
import { counterSession } from '../../schemas/counter.js'
import { sessionApp, sessionCookie } from '../helpers/http.js'
import { TelemetryRecorder } from '../helpers/otel.js'

// typed-sessions/otel: an instrumented store is the same store to everything but the tracer.

function record(key: string, counter = 1): SessionRecord {
  const now = Date.now()
  return {
    key,
    data: { counter },
    createdAt: now,
    expiresAt: now + 60_000,
    version: 0,
    schemaVersion: 1,
  }
}

describe('an instrumented store', () => {
  it('keeps the class, getters and methods of the store it wraps', async () => {
    const { telemetry } = new TelemetryRecorder()
    const inner = new MemoryStore({ maxSessions: 10 })
    const store = telemetry.instrument(inner)
    expect(store).not.toBe(inner)
    expect(store).toBeInstanceOf(MemoryStore)
    expect(store.inProcess).toBe(true)
    expect(store.maxRecordSize).toBe(inner.maxRecordSize)
    await store.create(record('a'))
    // Getters over private fields read the store itself, not the proxy.
    expect(store.size).toBe(1)
    expect(store.bytes).toBe(inner.bytes)
    await expect(store.close()).resolves.toBeUndefined()
  })

  it('is made once per store, and an instrumented store is not wrapped again', () => {
    const { telemetry } = new TelemetryRecorder()
    const inner = new MemoryStore()
    const store = telemetry.instrument(inner)
    expect(telemetry.instrument(inner)).toBe(store)
    expect(telemetry.instrument(store)).toBe(store)
  })

  it('has no deleteExpired when the store has none', () => {
    const { telemetry } = new TelemetryRecorder()
    const inner = new MemoryStore()
    const withoutDeletion: SessionStore = {
      create: (r) => inner.create(r),
      load: (key) => inner.load(key),
      save: (r, expected) => inner.save(r, expected),
      delete: (key) => inner.delete(key),
    }
    const store = telemetry.instrument(withoutDeletion)
    expect(store.deleteExpired).toBeUndefined()
    expect(() => startExpiredDeletion(store)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED' })
    )
  })

  it('passes arguments on as they came: a save without a version is an upsert', async () => {
    const recorder = new TelemetryRecorder()
    const store = recorder.telemetry.instrument(new MemoryStore())
    expect(await store.save(record('a', 1))).toBe(true)
    expect(await store.save(record('a', 2))).toBe(true)
    expect((await store.load('a'))?.data).toEqual({ counter: 2 })
    const saves = recorder.finished('save')
    expect(saves.map((span) => span.attributes['typed_sessions.store.compare_and_set'])).toEqual([
      undefined,
      undefined,
    ])
  })

  it('gives a scan one span with the records it returned, also when stopped early', async () => {
    const recorder = new TelemetryRecorder()
    const store = recorder.telemetry.instrument(new MemoryStore())
    for (const key of ['a', 'b', 'c']) await store.create(record(key))
    const all: string[] = []
    for await (const found of store.scan()) all.push(found.key)
    expect(all.sort()).toEqual(['a', 'b', 'c'])
    const firstOnly: string[] = []
    for await (const found of store.scan({ batchSize: 1 })) {
      firstOnly.push(found.key)
      break
    }
    expect(firstOnly).toHaveLength(1)
    expect(
      recorder.finished('scan').map((span) => span.attributes['db.response.returned_rows'])
    ).toEqual([3, 1])
  })

  it('leaves a CookieStore a CookieStore: the session stays in the cookie, no store call is made', async () => {
    const recorder = new TelemetryRecorder()
    const store = recorder.telemetry.instrument(new CookieStore())
    const app = sessionApp(counterSession, { store, on: recorder.telemetry.on })
    app.post('/increment', async (c) => c.json(await c.var.session.update('counter', (n) => n + 1)))
    const first = await app.request('/increment', { method: 'POST' })
    const cookie = sessionCookie(first)!.value
    const second = await app.request('/increment', {
      method: 'POST',
      headers: { cookie: `id=${cookie}` },
    })
    expect(await second.json()).toBe(2)
    expect(
      recorder.finished().filter((span) => span.attributes['db.system.name'] !== undefined)
    ).toEqual([])
  })
})

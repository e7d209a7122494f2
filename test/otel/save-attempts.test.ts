import { describe, expect, it, vi } from 'vitest'
import { MemoryStore } from 'typed-sessions'
import { CookieJar } from '../helpers/http.js'
import { parentOf, TelemetryRecorder, timeMs } from '../helpers/otel.js'
import { tracedCounterApp } from '../helpers/otel-app.js'
import { deferred, TestStore } from '../helpers/stores.js'
import type { SessionRecord } from 'typed-sessions'

// typed-sessions/otel: a span per save attempt, from the conflict and saved events; the forced
// conflict is that of test/hono/events-failures.test.ts (two processes over one backend).

/** The SDK anchors each span's clock to `Date.now()` (whole ms): times of two spans agree to 1 ms. */
const CLOCK_MS = 1.5

/** Saves that take 20 ms: a lost attempt long enough to tell its start from its end. */
class SlowSaveStore extends TestStore {
  override async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 20))
    return super.save(record, expectedVersion)
  }
}

/**
 * Two processes over one backend, each with its own telemetry: `slow` holds `path` after its
 * load until the other one has saved, so its compare-and-set meets a changed version.
 */
async function forceConflict(path: '/slow' | '/slow-login') {
  const backend = new MemoryStore()
  const recorder = new TelemetryRecorder()
  const hold = deferred()
  const slowApp = tracedCounterApp(recorder, new SlowSaveStore(backend), {
    hold: hold.promise,
    conflictTimeout: 10_000,
  })
  const fastApp = tracedCounterApp(new TelemetryRecorder(), new TestStore(backend))
  const jar = new CookieJar(fastApp)
  await jar.fetch('/increment', { method: 'POST' })
  const cookie = `id=${jar.cookies.get('id')!}`

  const slow = slowApp.request(path, { method: 'POST', headers: { cookie } })
  await vi.waitFor(() => expect(recorder.finished('load')).toHaveLength(1))
  await fastApp.request('/increment', { method: 'POST', headers: { cookie } })
  hold.resolve()
  const response = await slow
  expect(response.status).toBe(200)
  return { recorder, answer: await response.json() }
}

describe('a save that loses a compare-and-set and retries', () => {
  it('has a span per attempt: the lost one, then the winning one from where it ended', async () => {
    const { recorder, answer } = await forceConflict('/slow')
    expect(answer).toBe(2)
    const request = recorder.only('POST /slow')
    const attempts = recorder.finished('session save')
    expect(attempts.map((span) => span.attributes)).toEqual([
      { 'typed_sessions.save.attempt': 1, 'typed_sessions.save.outcome': 'conflict' },
      {
        'typed_sessions.save.attempt': 2,
        'typed_sessions.save.outcome': 'saved',
        'typed_sessions.record.version': 2,
        'typed_sessions.record.bytes': JSON.stringify({ counter: 3 }).length,
      },
    ])
    for (const span of attempts) expect(parentOf(span)).toBe(request.spanContext().spanId)
    const [lost, won] = attempts as [(typeof attempts)[0], (typeof attempts)[0]]
    expect(Math.abs(timeMs(won.startTime) - timeMs(lost.endTime))).toBeLessThan(CLOCK_MS)
    expect(timeMs(lost.endTime) - timeMs(lost.startTime)).toBeGreaterThanOrEqual(19)
    // Under the attempts, the store calls: the refused compare-and-set, the re-read, the retry.
    const calls = recorder
      .finished()
      .filter((span) => span.attributes['db.operation.name'] !== undefined)
      .map((span) => [span.name, span.attributes['typed_sessions.store.applied']])
    expect(calls).toEqual([
      ['load', undefined],
      ['save', false],
      ['load', undefined],
      ['save', true],
    ])
    expect(await recorder.count('typed_sessions.save.conflicts')).toBe(1)
    expect(await recorder.count('typed_sessions.save.retries')).toBe(1)
  })

  it('tiles the attempts of a login too, whose winning save is under the new record key', async () => {
    const { recorder } = await forceConflict('/slow-login')
    const attempts = recorder.finished('session save')
    expect(attempts.map((span) => span.attributes['typed_sessions.save.outcome'])).toEqual([
      'conflict',
      'saved',
    ])
    const [lost, won] = attempts as [(typeof attempts)[0], (typeof attempts)[0]]
    expect(Math.abs(timeMs(won.startTime) - timeMs(lost.endTime))).toBeLessThan(CLOCK_MS)
    expect(await recorder.count('typed_sessions.session.cycled')).toBe(1)
    expect(await recorder.count('typed_sessions.session.created')).toBe(0)
    expect(await recorder.count('typed_sessions.save.retries')).toBe(1)
  })
})

describe('a save without a conflict', () => {
  it('is one attempt whose span is the whole save', async () => {
    const recorder = new TelemetryRecorder()
    const jar = new CookieJar(tracedCounterApp(recorder, new MemoryStore()))
    await jar.fetch('/increment', { method: 'POST' })
    await jar.fetch('/increment', { method: 'POST' })
    const attempts = recorder.finished('session save')
    expect(attempts.map((span) => span.attributes['typed_sessions.save.attempt'])).toEqual([1, 1])
    const [durations] = await recorder.histogram('typed_sessions.save.duration')
    expect(durations!.value.count).toBe(2)
    expect(await recorder.count('typed_sessions.save.conflicts')).toBe(0)
    expect(await recorder.count('typed_sessions.save.retries')).toBe(0)
  })
})

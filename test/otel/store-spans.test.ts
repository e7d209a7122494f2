import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { MemoryStore, recordKeyOf, type SessionStore } from 'typed-sessions'
import { CookieJar, sessionCookie } from '../helpers/http.js'
import { durationMs, parentOf, TelemetryRecorder } from '../helpers/otel.js'
import { tracedCounterApp } from '../helpers/otel-app.js'
import { idOfCookie, TestStore } from '../helpers/stores.js'

// typed-sessions/otel: a span per store call, children of the request's span, with the
// conventions' db.* attributes and db.client.operation.duration beside them.

describe('the spans of store calls', () => {
  it('are children of the request span, one per call, with db.* attributes', async () => {
    const recorder = new TelemetryRecorder()
    const jar = new CookieJar(tracedCounterApp(recorder, new MemoryStore()))
    await jar.fetch('/increment', { method: 'POST' })
    const first = recorder.only('POST /increment')
    expect(recorder.finished().map((span) => span.name)).toEqual([
      'create',
      'session save',
      'POST /increment',
    ])
    const create = recorder.only('create')
    expect(parentOf(create)).toBe(first.spanContext().spanId)
    expect(create.kind).toBe(SpanKind.INTERNAL) // the MemoryStore makes no client call
    expect(create.attributes).toEqual({
      'db.system.name': 'memory',
      'db.operation.name': 'create',
      'typed_sessions.store.applied': true,
    })

    recorder.clearSpans()
    await jar.fetch('/increment', { method: 'POST' })
    const second = recorder.only('POST /increment')
    const [load, save] = [recorder.only('load'), recorder.only('save')]
    expect([parentOf(load), parentOf(save)]).toEqual([
      second.spanContext().spanId,
      second.spanContext().spanId,
    ])
    expect(load.attributes).toMatchObject({
      'db.operation.name': 'load',
      'db.response.returned_rows': 1,
    })
    expect(save.attributes).toMatchObject({
      'db.operation.name': 'save',
      'typed_sessions.store.compare_and_set': true,
      'typed_sessions.store.applied': true,
    })
    expect(load.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('records db.client.operation.duration per operation, matching the span durations', async () => {
    const recorder = new TelemetryRecorder()
    const jar = new CookieJar(tracedCounterApp(recorder, new MemoryStore()))
    for (let i = 0; i < 3; i++) await jar.fetch('/increment', { method: 'POST' })
    const [loads] = await recorder.histogram('db.client.operation.duration', {
      'db.operation.name': 'load',
    })
    expect(loads!.attributes).toEqual({ 'db.system.name': 'memory', 'db.operation.name': 'load' })
    expect(loads!.value.count).toBe(2)
    const spanSeconds =
      recorder.finished('load').reduce((sum, span) => sum + durationMs(span), 0) / 1000
    expect(loads!.value.sum).toBeCloseTo(spanSeconds, 6)
    const [creates] = await recorder.histogram('db.client.operation.duration', {
      'db.operation.name': 'create',
    })
    expect(creates!.value.count).toBe(1)
  })

  it('names spans by the collection and takes the system when they are given', async () => {
    const recorder = new TelemetryRecorder()
    const store = recorder.telemetry.instrument(new TestStore(), {
      system: 'redis',
      collection: 'sessions',
    })
    const jar = new CookieJar(tracedCounterApp(recorder, store))
    await jar.fetch('/increment', { method: 'POST' })
    const create = recorder.only('create sessions')
    expect(create.kind).toBe(SpanKind.CLIENT)
    expect(create.attributes).toMatchObject({
      'db.system.name': 'redis',
      'db.collection.name': 'sessions',
      'db.operation.name': 'create',
    })
  })

  it('tells a create that collided and a load that found nothing', async () => {
    const recorder = new TelemetryRecorder()
    const store = new TestStore()
    const app = tracedCounterApp(recorder, store)
    // A verified cookie whose record is gone: the load finds nothing.
    const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
    await store.inner.delete(recordKeyOf(idOfCookie(cookie)))
    store.refuse('create')
    recorder.clearSpans()
    const response = await app.request('/increment', {
      method: 'POST',
      headers: { cookie: `id=${cookie}` },
    })
    expect(response.status).toBe(409) // ID_COLLISION after every drawn id "existed"
    expect(recorder.finished('load')[0]!.attributes['db.response.returned_rows']).toBe(0)
    const creates = recorder.finished('create')
    expect(creates.length).toBeGreaterThan(1)
    expect(creates.every((span) => span.attributes['typed_sessions.store.applied'] === false)).toBe(
      true
    )
  })
})

describe('a driver traced by its own instrumentation', () => {
  it('has its spans nested under the store call that made them', async () => {
    const recorder = new TelemetryRecorder()
    const inner = new MemoryStore()
    // As an instrumented driver (pg, ioredis) would: a span of its own for each query it sends.
    const query = <T>(name: string, run: () => Promise<T>) => {
      const span = recorder.tracer.startSpan(name)
      return run().finally(() => span.end())
    }
    const driven: SessionStore = {
      create: (record) => query('INSERT', () => inner.create(record)),
      load: (key) => query('SELECT', () => inner.load(key)),
      save: (record, expected) => query('UPDATE', () => inner.save(record, expected)),
      delete: (key) => query('DELETE', () => inner.delete(key)),
    }
    const jar = new CookieJar(tracedCounterApp(recorder, driven))
    await jar.fetch('/increment', { method: 'POST' })
    await jar.fetch('/increment', { method: 'POST' })
    for (const [call, queryName] of [
      ['create', 'INSERT'],
      ['load', 'SELECT'],
      ['save', 'UPDATE'],
    ] as const) {
      expect(parentOf(recorder.only(queryName))).toBe(recorder.only(call).spanContext().spanId)
    }
  })
})

describe('a store call that fails', () => {
  it('ends its span as an error with error.type and the exception, and the request gets 503', async () => {
    const recorder = new TelemetryRecorder()
    const store = new TestStore()
    const app = tracedCounterApp(recorder, store)
    const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
    recorder.clearSpans()
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
    })
    store.failOn('load', down)
    const response = await app.request('/increment', {
      method: 'POST',
      headers: { cookie: `id=${cookie}` },
    })
    expect(response.status).toBe(503)
    const load = recorder.only('load')
    expect(load.status).toEqual({ code: SpanStatusCode.ERROR, message: down.message })
    expect(load.attributes['error.type']).toBe('ECONNREFUSED')
    expect(load.events.map((event) => event.name)).toEqual(['exception'])
    expect(parentOf(load)).toBe(recorder.only('POST /increment').spanContext().spanId)
    const [failed] = await recorder.histogram('db.client.operation.duration', {
      'error.type': 'ECONNREFUSED',
    })
    expect(failed!.attributes).toMatchObject({ 'db.operation.name': 'load' })
    expect(failed!.value.count).toBe(1)
    expect(
      await recorder.count('typed_sessions.store.errors', {
        'db.operation.name': 'load',
        'error.type': 'STORE_UNAVAILABLE',
      })
    ).toBe(1)
  })
})

describe('a store call that does not settle within storeTimeout', () => {
  it('ends its span as a timeout when the request gives up, not never', async () => {
    const recorder = new TelemetryRecorder()
    const inner = new MemoryStore()
    // Not in process, so the engine races its calls against storeTimeout; load hangs for good.
    const hung: SessionStore = {
      create: (record) => inner.create(record),
      load: () => new Promise(() => {}),
      save: (record, expected) => inner.save(record, expected),
      delete: (key) => inner.delete(key),
    }
    const app = tracedCounterApp(recorder, hung, { storeTimeout: 50 })
    const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
    recorder.clearSpans()
    const response = await app.request('/increment', {
      method: 'POST',
      headers: { cookie: `id=${cookie}` },
    })
    expect(response.status).toBe(503)
    const load = recorder.only('load')
    expect(load.status.code).toBe(SpanStatusCode.ERROR)
    expect(load.attributes['error.type']).toBe('timeout')
    expect(durationMs(load)).toBeGreaterThanOrEqual(45)
    expect(durationMs(load)).toBeLessThan(1000)
    expect(parentOf(load)).toBe(recorder.only('POST /increment').spanContext().spanId)
    expect(
      await recorder.count('typed_sessions.store.timeouts', { 'db.operation.name': 'load' })
    ).toBe(1)
    const [timedOut] = await recorder.histogram('db.client.operation.duration', {
      'error.type': 'timeout',
    })
    expect(timedOut!.value.count).toBe(1)
  })
})

import { metrics, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from 'typed-sessions'
import { sessionTelemetry } from 'typed-sessions/otel'
import { CookieJar } from '../helpers/http.js'
import { TelemetryRecorder } from '../helpers/otel.js'
import { tracedCounterApp } from '../helpers/otel-app.js'

// typed-sessions/otel without a tracer or meter given: the global providers, also ones
// registered after sessionTelemetry() (an SDK started later in the app's startup).

describe('sessionTelemetry() with the global providers', () => {
  it('is a no-op while none is registered: requests are served as without it', async () => {
    const recorder = new TelemetryRecorder()
    const telemetry = sessionTelemetry()
    const jar = new CookieJar(tracedCounterApp(recorder, new MemoryStore(), { telemetry }))
    expect(await (await jar.fetch('/increment', { method: 'POST' })).json()).toBe(1)
    expect(await (await jar.fetch('/increment', { method: 'POST' })).json()).toBe(2)
    // Only the test's own request spans: the session's spans went to the no-op tracer.
    expect(recorder.finished().map((span) => span.name)).toEqual([
      'POST /increment',
      'POST /increment',
    ])
  })

  it('uses providers registered after it was made, before the first request', async () => {
    const recorder = new TelemetryRecorder()
    const telemetry = sessionTelemetry()
    trace.setGlobalTracerProvider(recorder.tracerProvider)
    metrics.setGlobalMeterProvider(recorder.meterProvider)
    try {
      const jar = new CookieJar(tracedCounterApp(recorder, new MemoryStore(), { telemetry }))
      await jar.fetch('/increment', { method: 'POST' })
      expect(recorder.finished().map((span) => span.name)).toEqual([
        'create',
        'session save',
        'POST /increment',
      ])
      expect(recorder.only('create').instrumentationScope.name).toBe('typed-sessions')
      expect(await recorder.count('typed_sessions.session.created')).toBe(1)
    } finally {
      trace.disable()
      metrics.disable()
    }
  })
})

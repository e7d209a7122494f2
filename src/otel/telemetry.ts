import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api'
import type { SessionEvents } from '../core/events.js'
import type { SessionStore } from '../core/store.js'
import { createInstruments, type Instruments } from './instruments.js'
import { instrumentedStore, type InstrumentOptions } from './instrumented-store.js'
import { lifecycleHandlers } from './lifecycle-handlers.js'
import { StoreCalls } from './store-calls.js'

/** The instrumentation scope of the spans and metrics. */
const SCOPE = 'typed-sessions'

/** Options of `sessionTelemetry`. */
export interface SessionTelemetryOptions {
  /**
   * Where the spans go.
   * @default trace.getTracer('typed-sessions'): the global tracer provider's, also one registered
   * after this call
   */
  tracer?: Tracer
  /**
   * Where the metrics go.
   * @default metrics.getMeter('typed-sessions'), taken at the first measurement (so a meter
   * provider registered after this call, before traffic, is the one used)
   */
  meter?: Meter
}

/** What `sessionTelemetry` returns: the event handlers and the store wrapper. */
export interface SessionTelemetry {
  /**
   * Event handlers that count and time sessions (`typed_sessions.*` metrics) and give each save
   * attempt a span: pass them as `on` to `sessionMiddleware`, `fetchSessions` or
   * `startExpiredDeletion`.
   */
  readonly on: SessionEvents
  /**
   * `store` with a span per store call and the `db.client.operation.duration` histogram; the
   * same store otherwise (its other methods, its getters, `instanceof`). Pass the result wherever
   * the store is used, with `on` beside it: `on` ends the span of a call the request gave up on
   * (a `storeTimeout`). The same store gives the same instrumented store each time (with the
   * first call's options), and an instrumented store is returned as it is.
   */
  instrument<T extends SessionStore>(store: T, options?: InstrumentOptions): T
}

/**
 * OpenTelemetry for sessions, over `@opentelemetry/api`: spans per store call and per save
 * attempt, and counters and histograms of the sessions' lifecycle (created, cycled, ended,
 * expired, invalid, conflicts, retries, store errors and timeouts, save duration, record size,
 * store latency). No attribute holds a session id, a record key or session data. Without an
 * OpenTelemetry SDK registered (and no `tracer` or `meter` given) everything is a no-op.
 * @example
 * import { sessionTelemetry } from 'typed-sessions/otel'
 *
 * const telemetry = sessionTelemetry()
 * app.use(sessionMiddleware(appSession, {
 *   secret,
 *   store: telemetry.instrument(new RedisStore(redis)),
 *   on: telemetry.on,
 * }))
 */
export function sessionTelemetry(options: SessionTelemetryOptions = {}): SessionTelemetry {
  const tracer = options.tracer ?? trace.getTracer(SCOPE)
  let made: Instruments | undefined
  const instruments = () => (made ??= createInstruments(options.meter ?? metrics.getMeter(SCOPE)))
  const calls = new StoreCalls(instruments)
  // One instrumented store per store: the engine orders saves per store object (save lanes).
  const instrumented = new WeakMap<SessionStore, SessionStore>()
  const wrappers = new WeakSet<SessionStore>()
  return {
    on: lifecycleHandlers(tracer, instruments, calls),
    instrument<T extends SessionStore>(store: T, instrumentOptions?: InstrumentOptions): T {
      if (wrappers.has(store)) return store
      let wrapped = instrumented.get(store) as T | undefined
      if (wrapped === undefined) {
        wrapped = instrumentedStore(store, tracer, calls, instrumentOptions)
        instrumented.set(store, wrapped)
        wrappers.add(wrapped)
      }
      return wrapped
    },
  }
}

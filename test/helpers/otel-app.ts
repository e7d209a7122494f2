import { Hono } from 'hono'
import { isSessionError, type SessionStore } from 'typed-sessions'
import {
  sessionMiddleware,
  type SessionEnv,
  type SessionMiddlewareOptions,
} from 'typed-sessions/hono'
import type { SessionTelemetry } from 'typed-sessions/otel'
import { counterSession } from '../../schemas/counter.js'
import { SECRET } from './http.js'
import type { TelemetryRecorder } from './otel.js'

/**
 * The counter with telemetry, as an application wires it: each request in a SERVER span (the
 * HTTP instrumentation's part), the store instrumented, the telemetry's handlers as `on`.
 * `POST /increment` adds one, `POST /slow` reads, waits for `hold`, then adds one (`POST
 * /slow-login` cycles the id before that), `GET /read` reads, `POST /login` cycles the id and
 * adds one, `POST /logout` flushes. A `SessionError` answers 503
 * (`STORE_UNAVAILABLE`) or 409, with its code. `telemetry` replaces the recorder's own.
 */
export function tracedCounterApp(
  recorder: TelemetryRecorder,
  store: SessionStore,
  options: Partial<SessionMiddlewareOptions> & {
    hold?: Promise<void>
    telemetry?: SessionTelemetry
  } = {}
) {
  const { hold, telemetry = recorder.telemetry, ...middlewareOptions } = options
  const app = new Hono<SessionEnv<typeof counterSession>>()
  app.use(recorder.requestSpan())
  app.use(
    sessionMiddleware(counterSession, {
      secret: SECRET,
      store: telemetry.instrument(store),
      on: telemetry.on,
      ...middlewareOptions,
    })
  )
  app.onError((error, c) => {
    if (!isSessionError(error)) throw error
    return c.json({ code: error.code }, error.code === 'STORE_UNAVAILABLE' ? 503 : 409)
  })
  app.post('/increment', async (c) => c.json(await c.var.session.update('counter', (n) => n + 1)))
  app.post('/slow', async (c) => {
    await c.var.session.get('counter')
    await hold
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  app.post('/slow-login', async (c) => {
    await c.var.session.get('counter')
    await hold
    await c.var.session.cycleId()
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  app.get('/read', async (c) => c.json(await c.var.session.get('counter')))
  app.post('/login', async (c) => {
    await c.var.session.cycleId()
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  app.post('/logout', async (c) => {
    await c.var.session.flush()
    return c.text('bye')
  })
  return app
}

/**
 * OpenTelemetry for sessions: `npm run example:otel` sends a visitor's requests to the counter
 * in process (a first visit, a second one, a logout) with every session store call and save
 * attempt traced and the sessions' lifecycle measured, and prints the spans as they end and then
 * the metrics, with the SDK's console exporters. In an application, start the SDK with OTLP
 * exporters instead (e.g. @opentelemetry/sdk-node, whose HTTP instrumentation also makes each
 * request's span the parent of these).
 */
import { metrics, trace } from '@opentelemetry/api'
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { Hono } from 'hono'
import { MemoryStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { sessionTelemetry } from 'typed-sessions/otel'
import { counterSession } from '../schemas/counter.js'
import { exampleOptions } from './counter-app.js'

// The SDK: spans to the console as they end, metrics when the reader is flushed.
const reader = new PeriodicExportingMetricReader({
  exporter: new ConsoleMetricExporter(),
  exportIntervalMillis: 60_000,
})
const spanProcessors = [new SimpleSpanProcessor(new ConsoleSpanExporter())]
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors }))
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))

// The sessions: the store instrumented, the telemetry's handlers as `on`.
const telemetry = sessionTelemetry()
const app = new Hono<SessionEnv<typeof counterSession>>()
app.use(
  sessionMiddleware(counterSession, {
    ...exampleOptions,
    store: telemetry.instrument(new MemoryStore()),
    on: telemetry.on,
  })
)
app.get('/', async (c) =>
  c.text(`Current count: ${await c.var.session.update('counter', (n) => n + 1)}`)
)
app.post('/logout', async (c) => {
  await c.var.session.flush()
  return c.text('Logged out')
})

console.log('GET / (a new visitor): create, then the save attempt')
const first = await app.request('/')
const cookie = first.headers.get('set-cookie')!.split(';')[0]!
console.log('GET / (the same visitor): load, compare-and-set save, the save attempt')
await app.request('/', { headers: { cookie } })
console.log('POST /logout: load, the flushed marker, delete')
await app.request('/logout', { method: 'POST', headers: { cookie } })
console.log('The metrics:')
await reader.forceFlush()

import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { sessionTelemetry } from 'typed-sessions/otel'
import type { FetchApp } from '../variants.js'
import { buildFullMemoryApp } from './ours.js'

/** An exporter that drops what it is given: the export's network is not the library's cost. */
const dropping: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
}

/**
 * The counter of `buildFullMemoryApp` with typed-sessions/otel: its handlers as `on` and the
 * store instrumented. With `sdk`, the OpenTelemetry SDK records every span (batched to an
 * exporter) and aggregates every measurement (never collected during the run); without, the
 * API's no-ops (no SDK started). No async context manager: the AsyncLocalStorage one of the Node
 * SDK slows every promise of the process, so it would weigh on every row of the run, not this one.
 */
export function buildOtelMemoryApp(secret: string, sdk: boolean): Promise<FetchApp> {
  let telemetry = sessionTelemetry()
  if (sdk) {
    const spanProcessors = [new BatchSpanProcessor(dropping)]
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
    telemetry = sessionTelemetry({
      tracer: new BasicTracerProvider({ spanProcessors }).getTracer('bench'),
      meter: new MeterProvider({ readers: [reader] }).getMeter('bench'),
    })
  }
  return buildFullMemoryApp(secret, telemetry.on, (store) => telemetry.instrument(store))
}

import { context } from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { sessionTelemetry } from 'typed-sessions/otel'
import { AsyncLocalContextManager } from '../../test/helpers/otel-context.js'
import type { FetchApp } from '../variants.js'
import { buildFullMemoryApp } from './ours.js'

/** An exporter that drops what it is given: the export's network is not the library's cost. */
const dropping: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
}

/**
 * The counter of `buildFullMemoryApp` with typed-sessions/otel: its handlers as `on` and the
 * store instrumented. With `sdk`, the OpenTelemetry SDK records as in production (an async
 * context manager, every span sampled and batched to an exporter, every measurement aggregated;
 * the metrics are never collected during the run); without, the API's no-ops (no SDK started).
 */
export function buildOtelMemoryApp(secret: string, sdk: boolean): Promise<FetchApp> {
  let telemetry = sessionTelemetry()
  if (sdk) {
    context.setGlobalContextManager(new AsyncLocalContextManager())
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

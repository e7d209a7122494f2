import { SpanKind, context, trace, type Attributes } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import type { MiddlewareHandler } from 'hono'
import { sessionTelemetry, type SessionTelemetry } from 'typed-sessions/otel'
import { AsyncLocalContextManager } from './otel-context.js'

let contextManagerSet = false

/**
 * A tracer and a meter of the OpenTelemetry SDK with in-memory exporters, a `sessionTelemetry`
 * on them, and readers of what they recorded. The async context manager is registered once per
 * test file, so spans nest as they do under a Node SDK.
 */
export class TelemetryRecorder {
  readonly spans = new InMemorySpanExporter()
  readonly #metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  readonly #reader = new PeriodicExportingMetricReader({
    exporter: this.#metrics,
    exportIntervalMillis: 3_600_000,
  })
  readonly tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(this.spans)],
  })
  readonly meterProvider = new MeterProvider({ readers: [this.#reader] })
  readonly tracer = this.tracerProvider.getTracer('test')
  readonly telemetry: SessionTelemetry

  constructor() {
    if (!contextManagerSet) {
      context.setGlobalContextManager(new AsyncLocalContextManager())
      contextManagerSet = true
    }
    this.telemetry = sessionTelemetry({
      tracer: this.tracerProvider.getTracer('typed-sessions'),
      meter: this.meterProvider.getMeter('typed-sessions'),
    })
  }

  /** A middleware that runs the rest of the request inside a SERVER span, as HTTP instrumentation does. */
  requestSpan(): MiddlewareHandler {
    return async (c, next) => {
      const span = this.tracer.startSpan(`${c.req.method} ${c.req.path}`, { kind: SpanKind.SERVER })
      try {
        await context.with(trace.setSpan(context.active(), span), next)
      } finally {
        span.end()
      }
    }
  }

  /** The finished spans named `name` (all of them without a name), in the order they ended. */
  finished(name?: string): ReadableSpan[] {
    const spans = this.spans.getFinishedSpans()
    return name === undefined ? spans : spans.filter((span) => span.name === name)
  }

  /** The one finished span named `name`; fails if there are none or several. */
  only(name: string): ReadableSpan {
    const spans = this.finished(name)
    if (spans.length !== 1) throw new Error(`expected one "${name}" span, got ${spans.length}`)
    return spans[0]!
  }

  /** The data points of the metric `name` as they stand now (cumulative). */
  async points(name: string): Promise<DataPoint<number | Histogram>[]> {
    this.#metrics.reset()
    await this.#reader.forceFlush()
    const points: DataPoint<number | Histogram>[] = []
    for (const resource of this.#metrics.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name !== name) continue
          if (metric.dataPointType === DataPointType.HISTOGRAM) points.push(...metric.dataPoints)
          else points.push(...(metric.dataPoints as DataPoint<number>[]))
        }
      }
    }
    return points
  }

  /** A counter's value over the points whose attributes include `attributes` (0 if none). */
  async count(name: string, attributes: Attributes = {}): Promise<number> {
    let total = 0
    for (const point of await this.points(name)) {
      if (matches(point.attributes, attributes)) total += point.value as number
    }
    return total
  }

  /** The histogram points of `name` whose attributes include `attributes`. */
  async histogram(name: string, attributes: Attributes = {}): Promise<DataPoint<Histogram>[]> {
    const points = (await this.points(name)) as DataPoint<Histogram>[]
    return points.filter((point) => matches(point.attributes, attributes))
  }

  /** Every attribute value of every span, span event and metric point recorded so far. */
  async attributeValues(): Promise<unknown[]> {
    const values: unknown[] = []
    for (const span of this.finished()) {
      values.push(span.name, ...Object.values(span.attributes))
      for (const event of span.events) values.push(...Object.values(event.attributes ?? {}))
    }
    this.#metrics.reset()
    await this.#reader.forceFlush()
    for (const resource of this.#metrics.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) values.push(...Object.values(point.attributes))
        }
      }
    }
    return values
  }

  /** Forgets the spans so far (metrics stay cumulative). */
  clearSpans(): void {
    this.spans.reset()
  }
}

function matches(actual: Attributes, expected: Attributes): boolean {
  return Object.entries(expected).every(([key, value]) => actual[key] === value)
}

/** The span context id of `span`'s parent, or undefined for a root span. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId
}

/** A span's duration in milliseconds. */
export function durationMs(span: ReadableSpan): number {
  const [seconds, nanos] = span.duration
  return seconds * 1000 + nanos / 1e6
}

/** A span's start or end, epoch milliseconds. */
export function timeMs([seconds, nanos]: readonly [number, number]): number {
  return seconds * 1000 + nanos / 1e6
}

import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api'
import { ERROR_TYPE, TIMEOUT, errorTypeOf } from './attributes.js'
import type { Instruments } from './instruments.js'

/** A store call in flight: its span, and the attributes its duration is recorded with. */
export interface StoreCall {
  readonly operation: string
  /** `performance.now()` when it started. */
  readonly started: number
  readonly span: Span
  readonly attributes: Attributes
  /** Ended: settled, or given up on by the engine (a timeout), whichever came first. */
  ended: boolean
}

/**
 * How far apart the engine's start of a call and the wrapper's may be, in ms: both are taken in
 * the same synchronous run (engine → `attemptStore` → wrapper), so microseconds apart.
 */
const SAME_CALL_MS = 5

/**
 * The store calls of one telemetry that are in flight. A call that hangs never settles, so its
 * span would never end and its latency never be recorded: when the engine gives up on it (a
 * `storeError` event with `timeout`), `timedOut` finds it and ends it then, as a timeout.
 */
export class StoreCalls {
  readonly #open = new Set<StoreCall>()
  readonly #instruments: () => Instruments

  constructor(instruments: () => Instruments) {
    this.#instruments = instruments
  }

  /** Tracks a call whose `span` was started at `started` (`performance.now()`). */
  start(operation: string, started: number, span: Span, attributes: Attributes): StoreCall {
    const call: StoreCall = { operation, started, span, attributes, ended: false }
    this.#open.add(call)
    return call
  }

  /** The call answered: ends its span and records its duration, unless a timeout did already. */
  settle(call: StoreCall): void {
    this.#open.delete(call)
    if (!call.ended) this.#end(call, call.attributes)
  }

  /** The call failed with `error`: its span ends as an error, unless a timeout ended it already. */
  fail(call: StoreCall, error: unknown): void {
    this.#open.delete(call)
    if (!call.ended) this.#fail(call, errorTypeOf(error), error)
  }

  /**
   * The engine gave up on a call of `operation` after `durationMs`: the open one that started
   * then (the closest within a few ms) ends as a timeout. A call that was never started (no
   * `storeTimeout` was left) has no span, and none is ended for it.
   */
  timedOut(operation: string, durationMs: number): void {
    const startedAt = performance.now() - durationMs
    let match: StoreCall | undefined
    let distance = SAME_CALL_MS
    for (const call of this.#open) {
      const gap = Math.abs(call.started - startedAt)
      if (call.operation === operation && !call.ended && gap <= distance) {
        match = call
        distance = gap
      }
    }
    if (match === undefined) return
    this.#open.delete(match)
    this.#fail(match, TIMEOUT, undefined)
  }

  #fail(call: StoreCall, type: string, error: unknown): void {
    const { span } = call
    span.setAttribute(ERROR_TYPE, type)
    if (error === undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'did not settle within storeTimeout' })
    } else {
      span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) })
      if (error instanceof Error) span.recordException(error)
    }
    this.#end(call, { ...call.attributes, [ERROR_TYPE]: type })
  }

  #end(call: StoreCall, attributes: Attributes): void {
    call.ended = true
    const end = performance.now()
    call.span.end(end)
    this.#instruments().storeDuration.record((end - call.started) / 1000, attributes)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

import { SpanKind, type Attributes, type Tracer } from '@opentelemetry/api'
import type { SessionEvents } from '../core/events.js'
import {
  DB_OPERATION_NAME,
  DECISION,
  END_REASON,
  ERROR_TYPE,
  EXPIRED_VIA,
  INVALID_REASON,
  RECORD_BYTES,
  RECORD_VERSION,
  SAVE_ATTEMPT,
  SAVE_OUTCOME,
} from './attributes.js'
import type { Instruments } from './instruments.js'
import type { StoreCalls } from './store-calls.js'

/** The name of the span of each save attempt. */
export const SAVE_SPAN = 'session save'

/** Record keys of saves with a lost attempt whose end is still needed: a few at any time. */
const MAX_PENDING_SAVES = 1000

const ENDED = {
  logout: { [END_REASON]: 'logout' },
  revoked: { [END_REASON]: 'revoked' },
} as const satisfies Record<string, Attributes>
const EXPIRED = {
  load: { [EXPIRED_VIA]: 'load' },
  absoluteTimeout: { [EXPIRED_VIA]: 'absoluteTimeout' },
  deleteExpired: { [EXPIRED_VIA]: 'deleteExpired' },
} as const satisfies Record<string, Attributes>

/**
 * The event handlers of a telemetry: each event is counted, and each save attempt becomes a span
 * after the fact, from the durations the events carry (`conflict` for an attempt that lost,
 * `saved` for the one that won). The spans are children of the span active when the event is
 * told, the request's; their times are this process's clock, not the event's `at` (which a test
 * may have frozen).
 */
export function lifecycleHandlers(
  tracer: Tracer,
  instruments: () => Instruments,
  calls: StoreCalls
): SessionEvents {
  /** Record key → when its last lost attempt ended (`performance.now()`), for the next one's start. */
  const lostAttemptEnds = new Map<string, number>()

  return {
    created(event) {
      if (!event.cycled) instruments().created.add(1)
    },
    cycled(event) {
      instruments().cycled.add(1)
      // A login's save lost its attempts under the old key and wins under the new one.
      const end = lostAttemptEnds.get(event.previousRecordKey)
      if (end === undefined) return
      lostAttemptEnds.delete(event.previousRecordKey)
      lostAttemptEnds.set(event.recordKey, end)
    },
    flushed(event) {
      instruments().ended.add(1, ENDED[event.reason])
      lostAttemptEnds.delete(event.recordKey)
    },
    expired(event) {
      instruments().expired.add(event.count ?? 1, EXPIRED[event.via])
    },
    invalid(event) {
      const attributes = { [INVALID_REASON]: event.reason, [DECISION]: event.decision }
      instruments().invalid.add(1, attributes)
    },
    conflict(event) {
      instruments().conflicts.add(1)
      const end = performance.now()
      const attributes = { [SAVE_ATTEMPT]: event.attempt, [SAVE_OUTCOME]: 'conflict' }
      tracer
        .startSpan(SAVE_SPAN, {
          kind: SpanKind.INTERNAL,
          attributes,
          startTime: end - event.durationMs,
        })
        .end(end)
      if (lostAttemptEnds.size >= MAX_PENDING_SAVES && !lostAttemptEnds.has(event.recordKey)) {
        // A save that gave up (CONFLICT) leaves its entry: the oldest goes first.
        lostAttemptEnds.delete(lostAttemptEnds.keys().next().value!)
      }
      lostAttemptEnds.set(event.recordKey, end)
    },
    saved(event) {
      const end = performance.now()
      const m = instruments()
      m.saveDuration.record(event.durationMs / 1000)
      m.recordSize.record(event.bytes)
      if (event.attempts > 1) m.retries.add(event.attempts - 1)
      // The winning attempt starts where the lost one before it ended (the backoff is in it);
      // a first attempt starts with the save (a wait in this process's save lane is in it).
      const saveStart = end - event.durationMs
      let start = saveStart
      if (lostAttemptEnds.size > 0) {
        const lostEnd = lostAttemptEnds.get(event.recordKey)
        lostAttemptEnds.delete(event.recordKey)
        if (event.attempts > 1 && lostEnd !== undefined && lostEnd >= saveStart) start = lostEnd
      }
      const attributes = {
        [SAVE_ATTEMPT]: event.attempts,
        [SAVE_OUTCOME]: 'saved',
        [RECORD_VERSION]: event.version,
        [RECORD_BYTES]: event.bytes,
      }
      tracer
        .startSpan(SAVE_SPAN, { kind: SpanKind.INTERNAL, attributes, startTime: start })
        .end(end)
    },
    storeError(event) {
      if (event.timeout) {
        instruments().timeouts.add(1, { [DB_OPERATION_NAME]: event.operation })
        calls.timedOut(event.operation, event.durationMs)
      } else {
        const attributes = { [DB_OPERATION_NAME]: event.operation, [ERROR_TYPE]: event.error.code }
        instruments().storeErrors.add(1, attributes)
      }
    },
  }
}

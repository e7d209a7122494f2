import type { SessionError } from './errors.js'
import { isSessionError } from './errors.js'
import {
  emitEvent,
  jsonBytes,
  reportInvalid,
  type InvalidEvent,
  type SessionEvents,
} from './events.js'
import type { SessionRecord } from './store.js'

/**
 * The engine's side of the lifecycle events: one method per event, each of which builds its
 * event only when a handler for it is set. A `Session` without handlers holds none of these, so
 * its only cost is an `undefined` check per call site.
 */
export class EngineEvents {
  readonly on: SessionEvents
  readonly #now: () => number

  constructor(on: SessionEvents, now: () => number) {
    this.on = on
    this.#now = now
  }

  /** `performance.now()` when `type` has a handler, for a duration; else 0 (not measured). */
  clock(type: 'saved' | 'conflict'): number {
    return this.on[type] === undefined ? 0 : performance.now()
  }

  created(record: SessionRecord, cycled: boolean): void {
    if (this.on.created === undefined) return
    const bytes = jsonBytes(record.data)
    emitEvent(this.on, { type: 'created', recordKey: record.key, at: this.#now(), bytes, cycled })
  }

  loaded({ key, schemaVersion, version }: SessionRecord): void {
    if (this.on.loaded === undefined) return
    emitEvent(this.on, { type: 'loaded', recordKey: key, at: this.#now(), schemaVersion, version })
  }

  saved(record: SessionRecord, attempts: number, started: number): void {
    if (this.on.saved === undefined) return
    emitEvent(this.on, {
      type: 'saved',
      recordKey: record.key,
      at: this.#now(),
      version: record.version,
      attempts,
      bytes: jsonBytes(record.data),
      durationMs: performance.now() - started,
    })
  }

  cycled(recordKey: string, previousRecordKey: string): void {
    if (this.on.cycled === undefined) return
    emitEvent(this.on, { type: 'cycled', recordKey, at: this.#now(), previousRecordKey })
  }

  /** A record ended: by its own session's logout, or `'revoked'` on behalf of another one. */
  flushed(recordKey: string, reason: 'logout' | 'revoked' = 'logout'): void {
    if (this.on.flushed === undefined) return
    emitEvent(this.on, { type: 'flushed', recordKey, at: this.#now(), reason })
  }

  expired(recordKey: string, via: 'load' | 'absoluteTimeout'): void {
    if (this.on.expired === undefined) return
    emitEvent(this.on, { type: 'expired', recordKey, at: this.#now(), via })
  }

  conflict(recordKey: string, attempt: number, started: number): void {
    if (this.on.conflict === undefined) return
    const durationMs = performance.now() - started
    emitEvent(this.on, { type: 'conflict', recordKey, at: this.#now(), attempt, durationMs })
  }

  /** Tells the `storeError` handler of a store call that fails, and passes the failure on. */
  watchStoreCall<T>(
    operation: string,
    recordKey: string | undefined,
    call: () => Promise<T>
  ): Promise<T> {
    const started = performance.now()
    return call().catch((error: unknown) => {
      // A record the store cannot decode is invalid data (the `invalid` event), not an outage.
      if (isSessionError(error) && error.code !== 'INVALID_STORED_DATA') {
        const timeout = (error.cause as { name?: unknown } | undefined)?.name === 'TimeoutError'
        emitEvent(this.on, {
          type: 'storeError',
          recordKey,
          at: this.#now(),
          operation,
          durationMs: performance.now() - started,
          timeout,
          error,
        })
      }
      throw error
    })
  }
}

/** What the engine tells of stored data that does not fit: an `invalid` event, or a warning. */
export type InvalidReport = Pick<InvalidEvent, 'reason' | 'key' | 'issues' | 'decision'>

/**
 * Reports stored data of the record at `recordKey` that does not fit (with or without
 * handlers: a dropped record is never silent).
 */
export function reportInvalidData(
  on: SessionEvents | undefined,
  recordKey: string | undefined,
  at: number,
  report: InvalidReport
): void {
  reportInvalid(on, { type: 'invalid', recordKey, at, ...report })
}

/** An error as the one issue of an `invalid` event. */
export function issueOf(error: SessionError) {
  return { code: 'custom', path: [], message: error.message }
}

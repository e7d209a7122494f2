import { SessionError, storeFailure } from './errors.js'
import { emitEvent, type SessionEvents } from './events.js'
import type { SessionStore } from './store.js'

/** What `onError` is told besides the error. */
export interface ExpiredDeletionFailure {
  /** Failed runs in a row, this one included: 1 on the first failure after a success. */
  consecutiveFailures: number
  /** When the next run starts, in milliseconds from now (the backoff). */
  retryInMs: number
}

/** Options of `startExpiredDeletion`. */
export interface ExpiredDeletionOptions {
  /**
   * Milliseconds between the end of one run and the start of the next, while runs succeed.
   * After a failure the gap doubles with each failure in a row, up to 10 × `intervalMs`.
   * @default 60_000
   */
  intervalMs?: number
  /**
   * Told of every failed run, as a `SessionError` (`STORE_UNAVAILABLE` with the store's error as
   * `cause`). Deletion keeps running after a failure; this function should not throw (if it does,
   * its error is rethrown as an uncaught exception, as from any timer callback).
   * @default logs the first failure of each streak with `console.error`
   */
  onError?: (error: SessionError, failure: ExpiredDeletionFailure) => void
  /**
   * Event handlers (the middleware's `on` can be passed as it is): `expired` hears of each run
   * that removed records (`via: 'deleteExpired'`, with the `count`), `storeError` of each
   * failed run. @default undefined (none)
   */
  on?: SessionEvents
}

/**
 * Stops the periodic deletion: no run starts after the call. The promise resolves once a run
 * that was in flight has finished (it never rejects), so `await stop()` before closing the store.
 */
export type StopExpiredDeletion = () => Promise<void>

const DEFAULT_INTERVAL_MS = 60_000
const MAX_BACKOFF_FACTOR = 10
/** The longest delay timers accept (2^31 - 1 ms); above it they fire at once. */
const MAX_TIMER_DELAY_MS = 2_147_483_647

/**
 * Deletes the expired records of `store` periodically, in the background, with `deleteExpired`:
 * the first run starts at once (on a zero-delay timer, so start it after the store is ready, e.g.
 * after `migrate()`), each next one `intervalMs` after the previous one ended, so runs never
 * overlap. A failed run is reported to `onError` and retried with exponential backoff. The timer
 * never keeps the process alive (it is unref'd on Node, Bun and Deno). Each run is one
 * `deleteExpired()` call; the SQL stores delete in bounded batches inside it, so a large backlog
 * does not hold one long transaction.
 *
 * Stores with a native TTL (Redis) delete expired records by themselves and have no
 * `deleteExpired`: starting deletion for one throws `UNSUPPORTED`. A `MemoryStore` reclaims
 * expired records during writes and needs it only to free memory sooner.
 * @example
 * const store = new PostgresStore(pool)
 * await store.migrate()
 * const stopDeletion = startExpiredDeletion(store, { intervalMs: 5 * 60_000 })
 * // on shutdown:
 * await stopDeletion()
 * await pool.end()
 */
export function startExpiredDeletion(
  store: SessionStore,
  options: ExpiredDeletionOptions = {}
): StopExpiredDeletion {
  const deleteExpired = store.deleteExpired
  if (typeof deleteExpired !== 'function') {
    throw new SessionError(
      'UNSUPPORTED',
      'This store has no deleteExpired: it removes expired sessions by itself (e.g. a native TTL, as Redis has), so there is nothing to schedule. Do not call startExpiredDeletion for it.'
    )
  }
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
  if (!Number.isFinite(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_DELAY_MS) {
    throw new SessionError(
      'CONFIG',
      `startExpiredDeletion options.intervalMs takes milliseconds from 1 to ${MAX_TIMER_DELAY_MS}, got ${intervalMs}. Omit it for ${DEFAULT_INTERVAL_MS}.`
    )
  }
  const onError = options.onError ?? logFirstOfStreak
  if (typeof onError !== 'function') {
    throw new SessionError(
      'CONFIG',
      'startExpiredDeletion options.onError takes a function, e.g. (error) => logger.warn(error).'
    )
  }

  const on = options.on
  if (on !== undefined && (typeof on !== 'object' || on === null)) {
    throw new SessionError(
      'CONFIG',
      'startExpiredDeletion options.on takes an object of event handlers, e.g. { expired(e) { … } }.'
    )
  }
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined
  let consecutiveFailures = 0

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      timer = undefined
      running = run().finally(() => (running = undefined))
    }, delayMs)
    unref(timer)
  }

  // Never rejects: every failure is reported to onError.
  const run = async () => {
    let failure: SessionError | undefined
    const started = performance.now()
    try {
      const count = await deleteExpired.call(store)
      consecutiveFailures = 0
      if (on?.expired !== undefined && count > 0) {
        emitEvent(on, {
          type: 'expired',
          recordKey: undefined,
          at: Date.now(),
          via: 'deleteExpired',
          count,
        })
      }
    } catch (cause) {
      failure = storeFailure('deleteExpired', cause)
      consecutiveFailures++
      if (on?.storeError !== undefined) {
        const durationMs = performance.now() - started
        const error = failure
        const at = Date.now()
        emitEvent(on, {
          type: 'storeError',
          recordKey: undefined,
          at,
          operation: 'deleteExpired',
          durationMs,
          timeout: false,
          error,
        })
      }
    }
    const delayMs =
      failure === undefined
        ? intervalMs
        : Math.min(
            intervalMs * 2 ** consecutiveFailures,
            intervalMs * MAX_BACKOFF_FACTOR,
            MAX_TIMER_DELAY_MS
          )
    if (!stopped) schedule(delayMs)
    if (failure !== undefined) {
      try {
        onError(failure, { consecutiveFailures, retryInMs: delayMs })
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  schedule(0)
  return () => {
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    return running ?? Promise.resolve()
  }
}

/** The default `onError`: one line per failure streak, so an outage does not flood the log. */
function logFirstOfStreak(error: SessionError, failure: ExpiredDeletionFailure): void {
  if (failure.consecutiveFailures === 1) {
    console.error(
      'typed-sessions: deleting expired sessions failed; retrying with backoff (further failures in a row are not logged).',
      error
    )
  }
}

/** Lets the process exit while the timer is pending, where the runtime can. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer) {
    if (typeof timer.unref === 'function') timer.unref() // Node, Bun
    return
  }
  // Deno returns a number and unrefs it through its namespace.
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno
  if (typeof timer === 'number') deno?.unrefTimer?.(timer)
}

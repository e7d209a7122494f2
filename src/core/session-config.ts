import type { SessionEvents } from './events.js'
import { Expiry } from './expiry.js'
import type { JsonObject } from './json.js'
import type { SessionError } from './errors.js'
import type { SessionRecord, SessionStore } from './store.js'

/** How the engine persists sessions; the Hono middleware builds one from its options. */
export interface SessionConfig {
  /** Where records live. */
  store: SessionStore
  /** The expiry of sessions that did not `setExpiry`. @default Expiry.onSessionEnd() */
  expiry?: Expiry
  /**
   * Seconds after creation at which a session ends whatever its expiry says, enforced with the
   * server's clock on every load. @default undefined (no absolute limit)
   */
  absoluteTimeout?: number
  /** The schema version written into records. @default 1 */
  schemaVersion?: number
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number
  /**
   * Called for a loaded record whose `schemaVersion` is not `schemaVersion`: returns the data
   * upgraded to the current version (saved at the end of the request, even if only read), or
   * `undefined` to read the session as empty without overwriting the record unless written to.
   * `defineSession` definitions provide it through the middleware.
   */
  upgrade?: (record: SessionRecord) => JsonObject | undefined
  /**
   * What to do with a record the store holds but cannot decode (`INVALID_STORED_DATA` from its
   * `load`, or a record without the shape of one): `'drop'` reads it as no session, `'throw'`
   * lets the error through. The middleware asks the definition's `onInvalid`. @default 'drop'
   */
  onCorruptRecord?: (error: SessionError) => 'drop' | 'throw'
  /**
   * Milliseconds of store time one request may spend: every store call and every wait behind
   * another save of the same session in this process count against it, and each call is given
   * only what is left. Past it, the call fails as `STORE_UNAVAILABLE` (its `cause` a
   * `TimeoutError`). An in-process store (`inProcess`) is not raced against it. @default 5000
   */
  storeTimeout?: number
  /**
   * Milliseconds a save keeps retrying after compare-and-set conflicts (with randomized
   * exponential backoff) before it fails with `CONFLICT`. @default 3000
   */
  conflictTimeout?: number
  /** The most bytes of JSON a session's data may take; more is `INVALID_VALUE`. @default 1 MiB */
  maxSize?: number
  /** Handlers of the lifecycle events (`SessionEvents`). @default undefined (none) */
  on?: SessionEvents
  /**
   * The middleware's `touchAfter` (seconds), for helpers that pace their own writes by it: the
   * auth helpers refresh a session's `lastSeenAt` no more often. The engine does not use it.
   * @default undefined
   */
  touchAfter?: number
}

export const DEFAULT_STORE_TIMEOUT = 5000
export const DEFAULT_CONFLICT_TIMEOUT = 3000
export const DEFAULT_MAX_SIZE = 1024 * 1024

/** The expiry of a session that did not `setExpiry`, when the config names none. */
export const DEFAULT_EXPIRY = Expiry.onSessionEnd()

/** The schema version the engine writes into records. */
export function schemaVersionOf(config: SessionConfig): number {
  return config.schemaVersion ?? 1
}

/** The most bytes of JSON a session's data may take: `maxSize`, else the store's bound or 1 MiB. */
export function maxSizeOf(config: SessionConfig): number {
  return config.maxSize ?? Math.min(DEFAULT_MAX_SIZE, config.store.maxRecordSize ?? Infinity)
}

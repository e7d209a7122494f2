import type { SessionError } from './errors.js'

/*
 * The lifecycle events of sessions (DESIGN.md §13). An event names the record it is about by
 * its record key (the SHA-256 of the id, as stores see it), never by the session id, a cookie
 * value or a secret: a handler can log it, count it or ship it to a collector without handing
 * out a way to ride the session. The engine builds an event only when a handler for its type is
 * set, so an app without handlers pays nothing for them.
 */

/** What every event carries. */
interface EventBase<T extends keyof SessionEvents> {
  /** The handler's name. */
  readonly type: T
  /** When it happened, epoch milliseconds (the engine's clock). */
  readonly at: number
}

/** One Zod issue as events report it: no input value, which could be a secret of the session. */
export interface EventIssue {
  readonly code: string
  readonly path: readonly PropertyKey[]
  readonly message: string
}

/** A new record was created: a new session, or the record a `cycleId` moved the session to. */
export interface CreatedEvent extends EventBase<'created'> {
  readonly recordKey: string
  /** Bytes of the record's data as JSON. */
  readonly bytes: number
  /** True for the record a `cycleId` (a login) moved the session to. */
  readonly cycled: boolean
}

/** A live record was loaded at the start of a request's use of the session. */
export interface LoadedEvent extends EventBase<'loaded'> {
  readonly recordKey: string
  /** The schema version the record was written under (older ones are migrated after this). */
  readonly schemaVersion: number
  /** The record's save counter. */
  readonly version: number
}

/** A save succeeded: a compare-and-set, a create, or the new record of a `cycleId`. */
export interface SavedEvent extends EventBase<'saved'> {
  readonly recordKey: string
  /** The version written (0 for a created record). */
  readonly version: number
  /** Compare-and-set attempts it took: 1, plus one per conflict with a concurrent save. */
  readonly attempts: number
  /** Bytes of the record's data as JSON. */
  readonly bytes: number
  /** Milliseconds the whole save took, waits behind other saves and backoff included. */
  readonly durationMs: number
}

/** `cycleId` moved a stored session to a new record (`recordKey`); the old one is gone. */
export interface CycledEvent extends EventBase<'cycled'> {
  readonly recordKey: string
  readonly previousRecordKey: string
}

/**
 * A logout ended a record: `'logout'` for a session's own `flush` (and the record a concurrent
 * login had moved it to), `'revoked'` for a record ended on behalf of another session or outside
 * a request (the sessions-per-user revocations).
 */
export interface FlushedEvent extends EventBase<'flushed'> {
  readonly recordKey: string
  readonly reason: 'logout' | 'revoked'
}

/**
 * A session ended by time: `'load'`, a verified cookie's record was expired or gone when the
 * request loaded it; `'absoluteTimeout'`, a loaded record had outlived `absoluteTimeout` and was
 * deleted; `'deleteExpired'`, a `startExpiredDeletion` run removed `count` records (no
 * `recordKey` then).
 */
export interface ExpiredEvent extends EventBase<'expired'> {
  readonly recordKey: string | undefined
  readonly via: 'load' | 'absoluteTimeout' | 'deleteExpired'
  /** How many records a `deleteExpired` run removed. */
  readonly count?: number
}

/**
 * Something did not verify or does not fit, and what the policy decided. `'cookie'`: a session
 * cookie or token that did not verify (tampered, foreign, signed with a retired key, or a sealed
 * one that expired), no `recordKey`. `'value'`: one stored value fails its key's schema (`key`).
 * `'record'`: the store holds a record it cannot decode. `'migration'`: an older record cannot be
 * migrated. `'newer-version'`: a record written by a newer version of the app.
 */
export interface InvalidEvent extends EventBase<'invalid'> {
  readonly recordKey: string | undefined
  readonly reason: 'cookie' | 'value' | 'record' | 'migration' | 'newer-version'
  /** The session key whose stored value failed, for `'value'`. */
  readonly key?: string
  readonly issues?: readonly EventIssue[]
  /** `'drop'`: read as absent (or as no session); `'throw'`: `INVALID_STORED_DATA`. */
  readonly decision: 'drop' | 'throw'
}

/** A compare-and-set lost to a concurrent save; the save replays its changes and retries. */
export interface ConflictEvent extends EventBase<'conflict'> {
  readonly recordKey: string
  /** The attempt that lost: 1 for the first. */
  readonly attempt: number
  /** Milliseconds the lost attempt took. */
  readonly durationMs: number
}

/**
 * A store call failed or timed out; `error` is what the request gets (`STORE_UNAVAILABLE`, or a
 * store's refusal such as `INVALID_VALUE`). `recordKey` is the session's, undefined while a new
 * session has none yet.
 */
export interface StoreErrorEvent extends EventBase<'storeError'> {
  readonly recordKey: string | undefined
  /** The store method: `'create'`, `'load'`, `'save'`, `'delete'` or `'deleteExpired'`. */
  readonly operation: string
  readonly durationMs: number
  /** True when it did not settle within what was left of `storeTimeout`. */
  readonly timeout: boolean
  readonly error: SessionError
}

/**
 * Handlers of sessions' lifecycle events, each optional, each called after the fact and
 * synchronously (keep them quick: count, log, or hand the work to a queue). A handler that
 * throws (or returns a promise that rejects) is reported once with `console.error` and never
 * breaks the request.
 * @example
 * sessionMiddleware(appSession, {
 *   secret,
 *   on: {
 *     conflict: (e) => metrics.increment('session.conflict', { attempt: e.attempt }),
 *     flushed: (e) => sockets.closeAll(e.recordKey),
 *   },
 * })
 */
export interface SessionEvents {
  created?(event: CreatedEvent): void
  loaded?(event: LoadedEvent): void
  saved?(event: SavedEvent): void
  cycled?(event: CycledEvent): void
  flushed?(event: FlushedEvent): void
  expired?(event: ExpiredEvent): void
  invalid?(event: InvalidEvent): void
  conflict?(event: ConflictEvent): void
  storeError?(event: StoreErrorEvent): void
}

/** Any of the events. */
export type SessionEvent =
  | CreatedEvent
  | LoadedEvent
  | SavedEvent
  | CycledEvent
  | FlushedEvent
  | ExpiredEvent
  | InvalidEvent
  | ConflictEvent
  | StoreErrorEvent

type Handler = (event: SessionEvent) => unknown

/** Handlers that threw once already: each is reported once, not on every request. */
const reported = new WeakSet<object>()

/**
 * Calls the handler of `event.type` on `on`, if there is one. A throw or a rejected promise is
 * reported once per handler and goes no further: the request carries on.
 */
export function emitEvent(on: SessionEvents, event: SessionEvent): void {
  const handler = on[event.type] as Handler | undefined
  if (typeof handler !== 'function') return
  try {
    const result = handler.call(on, event)
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      ;(result as PromiseLike<unknown>).then(undefined, (error: unknown) =>
        reportHandlerError(handler, event.type, error)
      )
    }
  } catch (error) {
    reportHandlerError(handler, event.type, error)
  }
}

function reportHandlerError(handler: Handler, type: string, error: unknown): void {
  if (reported.has(handler)) return
  reported.add(handler)
  console.error(
    `typed-sessions: the "${type}" event handler threw; the request went on without it. Fix the handler (further errors of it are not logged).`,
    error
  )
}

let warnedOfDroppedData = false

/**
 * Reports stored data that did not fit: to the `invalid` handler, or, without one, with a
 * `console.warn` the first time per process outside production when it was dropped. A schema
 * change without a migration must not wipe data silently (the cart that reads back empty).
 */
export function reportInvalid(on: SessionEvents | undefined, event: InvalidEvent): void {
  if (on?.invalid !== undefined) return emitEvent(on, event)
  if (event.decision !== 'drop' || event.reason === 'cookie' || warnedOfDroppedData) return
  if (isProduction()) return
  warnedOfDroppedData = true
  const what = event.key === undefined ? 'a stored session' : `the stored value of "${event.key}"`
  const issue = event.issues?.[0]?.message
  console.warn(
    `typed-sessions: ${what} did not fit the session schema (${event.reason}${issue === undefined ? '' : `: ${issue}`}) and was dropped: the request read it as absent, and the next save removes it. If the schema changed, add a migration step (versioned(...).migrate(...)); to be told of each case, pass on: { invalid(e) {} }. (Warned once, outside production.)`
  )
}

/** True when `NODE_ENV` is `production` (where there is a `process`). */
function isProduction(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  return env?.NODE_ENV === 'production'
}

/** The issues of a failure, without their input values. */
export function eventIssues(
  issues: readonly { code: string; path: readonly PropertyKey[]; message: string }[]
): EventIssue[] {
  return issues.map(({ code, path, message }) => ({ code, path, message }))
}

/** Bytes of `data` as JSON, UTF-8. */
export function jsonBytes(data: unknown): number {
  const json = JSON.stringify(data)
  let bytes = json.length
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i)
    if (code < 0x80) continue
    // A surrogate pair (4 bytes) is two units: 1 + 1 more each; other units take 2 or 3 bytes.
    bytes += code < 0x800 ? 1 : code >= 0xd800 && code <= 0xdfff ? 1 : 2
  }
  return bytes
}

import type { InvalidReport } from './engine-events.js'
import type { Expiry } from './expiry.js'
import type { JsonValue } from './json.js'
import { checkBindable } from './owner.js'
import { flushSession } from './end-record.js'
import { saveAtOnce } from './save-protocol.js'
import type { SessionConfig } from './session-config.js'
import { SessionInner } from './session-inner.js'
import { loadSession } from './session-loading.js'
import { SessionView } from './session-view.js'

export { DEFAULT_MAX_SIZE, type SessionConfig } from './session-config.js'

// Settled promises handed out by the calls that complete at once: nothing can change them.
const RESOLVED = Promise.resolve()
const TRUE = Promise.resolve(true)
const FALSE = Promise.resolve(false)

/** `value` as a promise: itself if it is one. */
function promised<T>(value: T | Promise<T>): Promise<T> {
  return value instanceof Promise ? value : Promise.resolve(value)
}

/** The owner `clear()` leaves: bound to no one. */
const UNBOUND = Object.freeze({ key: undefined })

/** Set by `Session`'s static block: its working state, read by `sessionInner` only. */
let innerOf: (session: Session) => SessionInner

/**
 * The untyped session engine over JSON values: lazy loading, modified tracking and the
 * Django lifecycle (clear, flush, cycleId). `TypedSession` puts the schema on top of it.
 *
 * The data seen by the handler is the loaded record overlaid with this request's changes, and
 * the changes are also kept as the ordered operations the handler made (`ChangeLog`). Saving is
 * a compare-and-set against the loaded version; when a concurrent request saved first, the
 * engine puts the fresh record under the data and replays the operations on it (DESIGN.md §8).
 *
 * @example
 * const session = new Session({ store: new MemoryStore() })
 * await session.set('counter', 1)
 * await session.save()
 */
export class Session extends SessionView {
  readonly #s: SessionInner

  /**
   * `id` is the session id from a verified cookie, if the request had one. `onFirstAccess` is
   * called once, when the handler first uses the session (the middleware adds `Vary: Cookie`
   * then, while the response is still being prepared, which is cheaper than changing it after).
   */
  constructor(config: SessionConfig, id?: string, onFirstAccess?: () => void) {
    const inner = new SessionInner(config, id, onFirstAccess)
    super(inner)
    this.#s = inner
  }

  /** Reports stored data the typed layer found not to fit (an `invalid` event, or a warning). */
  reportInvalid(report: InvalidReport): void {
    this.#s.reportInvalid(report)
  }

  /**
   * The value of `key`, or undefined. Values are deeply frozen, not copied: mutating one throws
   * a `TypeError` (change a value with `set` or `update`).
   */
  get(key: string): Promise<JsonValue | undefined> {
    try {
      this.#s.access()
      return promised(this.#s.read(key))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Stores a deeply frozen copy of `value` under `key`: a blind write (on a conflict with a
   * concurrent save, this value is written again). Refuses a value JSON cannot carry as-is with
   * `INVALID_VALUE`; marks the session modified only if the value differs from the current one.
   */
  set(key: string, value: unknown): Promise<void> {
    try {
      this.#s.change()
      return this.#s.setValue(key, value) ?? RESOLVED
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Read-modify-write of one key: `fn(current)` gives the new value (`undefined` removes the
   * key), which is returned. `fn` must be pure: on a conflict with a concurrent save it runs
   * again on the fresh value, so 50 racing increments count 50. Both values are frozen.
   */
  update(
    key: string,
    fn: (current: JsonValue | undefined) => unknown
  ): Promise<JsonValue | undefined> {
    try {
      this.#s.change()
      return promised(this.#s.update(key, fn))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** True if `key` holds a value. */
  has(key: string): Promise<boolean> {
    try {
      this.#s.access()
      const current = this.#s.current(key)
      if (current instanceof Promise) return current.then((value) => value !== undefined)
      return current === undefined ? FALSE : TRUE
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Removes `key`; returns whether it existed. Modified only if it existed (Django). */
  delete(key: string): Promise<boolean> {
    try {
      this.#s.change()
      const removed = this.#s.deleteKey(key)
      return typeof removed === 'boolean' ? (removed ? TRUE : FALSE) : removed
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** The keys that hold a value. */
  async keys(): Promise<string[]> {
    this.#s.access()
    if (this.#s.data.needsRecord) await this.load()
    return this.#s.data.keys()
  }

  /** Empties the data and keeps the id, bound to no one (see `bind`); needs no store load. */
  async clear(): Promise<void> {
    this.#s.change()
    this.#s.apply({ op: 'clear' })
    this.#s.ownOwner = UNBOUND
  }

  /**
   * Binds the session to an owner (sessions per user, DESIGN.md §12): `ownerKey` is
   * `ownerKeyOf(userId)`, or `undefined` to unbind. Written with the next save and indexed by
   * the store; a fact about the session like its expiry, kept across a compare-and-set replay
   * and carried to the new record by `cycleId`. `clear()` and `flush()` unbind. Marks the
   * session modified only when the owner changes.
   * @throws SessionError `CONFIG` on a store without an owner index (`listOwner`), `INVALID_VALUE`
   * for a key `ownerKeyOf` did not make
   */
  async bind(ownerKey: string | undefined): Promise<void> {
    this.#s.change()
    if (ownerKey !== undefined) checkBindable(ownerKey, this.#s.store)
    await this.load()
    if (this.#s.lostTo !== undefined) return
    const unchanged = this.#s.owner === ownerKey
    this.#s.ownOwner = { key: ownerKey }
    if (!unchanged) this.#s.modified = true
  }

  /**
   * Logout: ends the stored record and empties the data. The id is forgotten, so a later write
   * in the same request gets a brand-new id (Django; differs from tower-sessions). The session is
   * emptied before the store is asked, so even when the store fails the response removes the
   * cookie. A session that a concurrent `cycleId` moved to a new id is ended there too.
   */
  async flush(): Promise<void> {
    this.#s.change()
    // A session a login moved under this request is followed and ended at its new id.
    return flushSession(this.#s)
  }

  /**
   * Login or privilege change: a new id at the next save, the data kept. At that save the old
   * record becomes a short-lived marker naming the new one, so a request racing it neither
   * writes under the old id nor logs the browser out; a logout racing it still wins. A request
   * that fails (5xx) keeps the old session. `absoluteTimeout` counts from the first creation.
   */
  async cycleId(): Promise<void> {
    this.#s.change()
    await this.load()
    if (this.#s.lostTo !== undefined) return
    this.#s.cycling = true
    this.#s.id = undefined
    this.#s.modified = true
  }

  /**
   * Extends the session's expiry without changing its data: the next save rewrites the record
   * with a fresh `expiresAt` and re-sends the cookie (an `onInactivity` session slides).
   */
  touch(): void {
    this.#s.change()
    this.#s.modified = true
  }

  /** Sets this session's expiry; persisted in the record, marks the session modified. */
  setExpiry(expiry: Expiry): void {
    this.#s.change()
    this.#s.ownExpiry = expiry
    this.#s.modified = true
  }

  /**
   * Refuses every later change with `RESPONSE_STARTED`: the middleware calls it once it has
   * decided the response, so a write from a stream is an error instead of silently lost.
   */
  close(): void {
    this.#s.closed = true
  }

  /**
   * Loads the record if it has not been loaded. Concurrent calls share one store round trip.
   * An unknown, expired or timed-out id is dropped: it is never adopted.
   */
  load(): Promise<void> {
    return loadSession(this.#s)
  }

  /**
   * Persists the session now: creates a record under a fresh id if it has none, else a
   * compare-and-set save that replays this request's changes on a fresher record after a
   * conflict, until `conflictTimeout` is spent (then `CONFLICT`). A session that a concurrent
   * request ended meanwhile is not saved at all (see `lostTo`).
   */
  save(): Promise<void> {
    try {
      return saveAtOnce(this.#s) ?? RESOLVED
    } catch (error) {
      return Promise.reject(error)
    }
  }

  static {
    innerOf = (session) => session.#s
  }
}

/** The working state under `session`, for the engine's calls made at once (`session-now.ts`). */
export function sessionInner(session: Session): SessionInner {
  return innerOf(session)
}

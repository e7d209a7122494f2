import { ChangeLog, type Change, type UpdateStep } from './change-log.js'
import { EngineEvents, reportInvalidData, type InvalidReport } from './engine-events.js'
import { SessionError } from './errors.js'
import { inProcessCallsOf, type InProcessCalls } from './in-process-calls.js'
import { expiresAtFor, type Expiry } from './expiry.js'
import { checkJsonSize, cloneJson, freezeJson, jsonEqual, type JsonValue } from './json.js'
import { NOT_LOADED, SessionData } from './session-data.js'
import { loadSession } from './session-loading.js'
import {
  DEFAULT_EXPIRY,
  DEFAULT_STORE_TIMEOUT,
  maxSizeOf,
  type SessionConfig,
} from './session-config.js'
import { recordKeyOf } from './session-id.js'
import { NONE, UNLOADED, type SessionState, type StoredRecord } from './session-state.js'
import { StoreBudget } from './store-budget.js'
import type { SessionStore } from './store.js'

/**
 * The working state of one request's session, shared by the three parts of the engine: the
 * public `Session` (the data overlay and the lifecycle calls), loading and adoption
 * (`session-loading.ts`) and the save protocol (`save-protocol.ts`). Internal: the package
 * exports only `Session`.
 */
export class SessionInner {
  readonly config: SessionConfig
  readonly store: SessionStore
  readonly now: () => number
  /** The event handlers, when there are any. */
  readonly events: EngineEvents | undefined
  /**
   * The store's synchronous calls (an in-process store's), for the common load and save without
   * a promise; undefined for other stores, and while a `storeError` handler watches each call.
   */
  readonly calls: InProcessCalls | undefined
  /** Where the session stands with respect to its stored record. */
  state: SessionState = UNLOADED
  /** The session id; undefined for a new session until saved, and after cycleId/flush. */
  id: string | undefined
  /** The loaded record's data overlaid with this request's changes. */
  data = new SessionData()
  /** This request's changes to the data, in order, for a replay after a conflict. */
  readonly log = new ChangeLog()
  /** The expiry this request set (`setExpiry`): a replay on a fresher record keeps it. */
  ownExpiry: Expiry | undefined
  /** The owner this request set (`bind`, `clear`): a replay on a fresher record keeps it. */
  ownOwner: { readonly key: string | undefined } | undefined
  /**
   * `cycleId` was called: the next save moves a stored session to a new id, and its record is
   * created as a cycled one (also when there was no stored record yet: a login on a first visit).
   */
  cycling = false
  /** This request changed the data or the expiry since the last save (Django's `modified`). */
  modified = false
  /** The handler used the session in any way (Django's `accessed`). */
  accessed = false
  /** A save persisted this session. */
  saved = false
  /** The response has been decided: no change is accepted any more. */
  closed = false
  /** When the running save started, for the `saved` event's duration. */
  saveStarted = 0

  readonly #onFirstAccess: (() => void) | undefined

  constructor(config: SessionConfig, id: string | undefined, onFirstAccess?: () => void) {
    this.#onFirstAccess = onFirstAccess
    this.config = config
    this.store = config.store
    this.now = config.now ?? Date.now
    this.events = config.on === undefined ? undefined : new EngineEvents(config.on, this.now)
    this.id = id
    this.calls = this.events?.on.storeError === undefined ? inProcessCallsOf(this.store) : undefined
  }

  #budget: StoreBudget | undefined

  /**
   * This request's `storeTimeout`, made at the first async store call: a session on an
   * in-process store that loads and saves at once never needs one.
   */
  get budget(): StoreBudget {
    const timeout = this.config.storeTimeout ?? DEFAULT_STORE_TIMEOUT
    return (this.#budget ??= new StoreBudget(this.store, timeout, this.events, this))
  }

  /** The handler uses the session: the first use is told to `onFirstAccess`. */
  access(): void {
    if (this.accessed) return
    this.accessed = true
    this.#onFirstAccess?.()
  }

  /** Every change goes through here: none once the response has been decided. */
  change(): void {
    this.access()
    if (this.closed) {
      throw new SessionError(
        'RESPONSE_STARTED',
        'The session was changed after the response was decided (inside a stream, or after the middleware finished): the change could not be saved. Make every session change, or call `await session.save()`, before returning a streaming response.'
      )
    }
  }

  /** True once the record was loaded (or there was none to load). */
  get isLoaded(): boolean {
    const kind = this.state.kind
    return kind !== 'unloaded' && kind !== 'loading'
  }

  /** The live record the data is based on, if any. */
  get stored(): StoredRecord | undefined {
    const state = this.state
    return state.kind === 'stored' ? state : undefined
  }

  /** The session ended under this request (see `SessionState`'s `lost`). */
  get lostTo(): 'logout' | 'login' | undefined {
    const state = this.state
    return state.kind === 'lost' ? state.to : undefined
  }

  /** The expiry in force: the one this request set, the stored one, else the configured one. */
  get expiry(): Expiry {
    return this.ownExpiry ?? this.stored?.expiry ?? this.config.expiry ?? DEFAULT_EXPIRY
  }

  /** The expiry written into the record: a per-session one, if there is one. */
  get sessionExpiry(): Expiry | undefined {
    return this.ownExpiry ?? this.stored?.expiry
  }

  /** The owner key the next save writes: the one this request set, else the stored one. */
  get owner(): string | undefined {
    return this.ownOwner !== undefined ? this.ownOwner.key : this.stored?.owner
  }

  recordKey(): string | undefined {
    const stored = this.stored
    if (stored !== undefined) return stored.key
    if (this.id === undefined) return undefined
    return recordKeyOf(this.id)
  }

  /** When the session ends if saved at `now` (after the absolute timeout, if one is set). */
  expiresAtMs(now: number, createdAt = this.stored?.createdAt ?? now): number {
    const expiresAt = expiresAtFor(this.expiry, now)
    const timeout = this.config.absoluteTimeout
    return timeout === undefined ? expiresAt : Math.min(expiresAt, createdAt + timeout * 1000)
  }

  /** Reports stored data that does not fit (an `invalid` event, or a warning). */
  reportInvalid(report: InvalidReport, recordKey = this.recordKey()): void {
    reportInvalidData(this.config.on, recordKey, this.now(), report)
  }

  /** Forgets the session: id, record, data, pending changes and per-session state. */
  reset(state: SessionState = NONE): void {
    this.state = state
    this.id = undefined
    this.data = new SessionData()
    this.data.settle()
    this.log.reset()
    this.ownExpiry = undefined
    this.ownOwner = undefined
    this.cycling = false
  }

  /**
   * The current value of `key`, loading the record first if it is needed and not loaded; at
   * once when it is loaded, or when an in-process store loads it at once.
   */
  current(key: string): JsonValue | undefined | Promise<JsonValue | undefined> {
    const value = this.data.peek(key)
    if (value !== NOT_LOADED) return value
    const loading = loadSession(this)
    if (this.isLoaded) return this.data.peek(key) as JsonValue | undefined
    return loading.then(() => this.data.peek(key) as JsonValue | undefined)
  }

  /**
   * The current value of `key` as the handler is given it: deeply frozen, not copied (a value
   * set by this request was frozen at `set`; a loaded one is frozen at its first read).
   */
  read(key: string): JsonValue | undefined | Promise<JsonValue | undefined> {
    const value = this.current(key)
    return value instanceof Promise ? value.then(freezeJson) : freezeJson(value)
  }

  /** `set` on the data (after `change`): at once when the current value is at hand. */
  setValue(key: string, value: unknown): Promise<void> | undefined {
    const copy = this.checkValue(key, value)
    const current = this.current(key)
    if (current instanceof Promise) return current.then((now) => this.#setTo(key, copy, now))
    this.#setTo(key, copy, current)
    return undefined
  }

  #setTo(key: string, value: JsonValue, current: JsonValue | undefined): void {
    if (current !== undefined && jsonEqual(current, value)) return
    this.apply({ op: 'set', key, value })
  }

  /** `delete` on the data (after `change`): whether the key held a value, at once if it can. */
  deleteKey(key: string): boolean | Promise<boolean> {
    const current = this.current(key)
    if (current instanceof Promise) return current.then((now) => this.#deleteIf(key, now))
    return this.#deleteIf(key, current)
  }

  #deleteIf(key: string, current: JsonValue | undefined): boolean {
    if (current === undefined) return false
    this.apply({ op: 'delete', key })
    return true
  }

  /** Applies a change to the data and records it for replay. */
  apply(change: Change): void {
    this.log.add(change)
    this.applyOnly(change)
  }

  /** Applies a change to the data only (an `update` records itself, as a step). */
  applyOnly(change: Change): void {
    const data = this.data
    if (change.op === 'set') data.set(change.key, change.value)
    else if (change.op === 'delete') data.delete(change.key)
    else if (change.op === 'clear') data.clear()
    this.modified = true
  }

  /**
   * `value` as the JSON a session holds (a deep copy, deeply frozen), or `INVALID_VALUE` for one
   * JSON cannot carry as-is or one over `maxSize`.
   */
  checkValue(key: string, value: unknown): JsonValue {
    const copy = cloneJson(value, key)
    const maxSize = maxSizeOf(this.config)
    if (typeof copy === 'object' && copy !== null) {
      checkJsonSize(copy, maxSize, `The value of session key "${key}"`)
      freezeJson(copy)
    } else if (typeof copy === 'string' && copy.length * 3 > maxSize) {
      checkJsonSize(copy, maxSize, `The value of session key "${key}"`)
    }
    return copy
  }

  /**
   * `update`'s read-modify-write on the data: runs `fn` on the current (frozen) value, applies
   * its (checked) result and records the step, which a replay runs again on a fresher value.
   * At once when the value is at hand; a promise when the record must first be loaded.
   */
  update(
    key: string,
    fn: (current: JsonValue | undefined) => unknown
  ): JsonValue | undefined | Promise<JsonValue | undefined> {
    const step: UpdateStep = (current) => {
      const next = fn(current)
      return next === undefined ? undefined : this.checkValue(key, next)
    }
    const current = this.read(key)
    if (current instanceof Promise) return current.then((value) => this.#updateTo(key, step, value))
    return this.#updateTo(key, step, current)
  }

  #updateTo(key: string, step: UpdateStep, current: JsonValue | undefined): JsonValue | undefined {
    const next = step(current)
    this.log.add({ op: 'update', key, step })
    if (next === undefined) {
      if (current !== undefined) this.applyOnly({ op: 'delete', key })
    } else if (current === undefined || !jsonEqual(current, next)) {
      this.applyOnly({ op: 'set', key, value: next })
    }
    return next
  }
}

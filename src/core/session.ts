import { ChangeLog, type Change, type UpdateStep } from './change-log.js'
import { EngineEvents, issueOf, reportInvalidData, type InvalidReport } from './engine-events.js'
import { SessionError, attemptStore, corruptRecord, isSessionError } from './errors.js'
import type { SessionEvents } from './events.js'
import { Expiry, expiresAtFor, parseExpiry, secondsUntil } from './expiry.js'
import {
  MAX_JSON_DEPTH,
  checkJsonSize,
  cloneJson,
  copyJson,
  jsonEqual,
  nestsDeeperThan,
  objectFromMap,
  type JsonObject,
  type JsonValue,
} from './json.js'
import { endRecord } from './end-record.js'
import { isOwnerKey, noOwnerIndex } from './owner.js'
import {
  GONE,
  isRecordShape,
  markerRecord,
  movedMarkerKey,
  stateOf,
  writeToken,
  type RecordState,
} from './record-markers.js'
import { inSaveLane, type SaveLane } from './save-lanes.js'
import { NOT_LOADED, SessionData } from './session-data.js'
import { generateSessionId, recordKeyOf } from './session-id.js'
import type { CreateOptions, SessionRecord, SessionStore } from './store.js'

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

/** How many fresh ids a create draws before giving up with `ID_COLLISION`. */
const CREATE_ATTEMPTS = 5
const DEFAULT_STORE_TIMEOUT = 5000
const DEFAULT_CONFLICT_TIMEOUT = 3000
export const DEFAULT_MAX_SIZE = 1024 * 1024
/** The first backoff after a conflict is up to this many ms; each next one doubles, to the cap. */
const BACKOFF_BASE_MS = 4
const BACKOFF_CAP_MS = 250

/** What the engine keeps of the stored record besides its data. */
type StoredState = Pick<
  SessionRecord,
  'key' | 'createdAt' | 'version' | 'expiresAt' | 'schemaVersion'
>

function storedStateOf({ key, createdAt, version, expiresAt, schemaVersion }: SessionRecord) {
  return { key, createdAt, version, expiresAt, schemaVersion }
}

const defaultExpiry = Expiry.onSessionEnd()

/** What `create` is told about the record of a session that called `cycleId`. */
const CYCLED: CreateOptions = Object.freeze({ cycled: true })

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What `#fetch` answers for a record dropped as undecodable, or ended by `absoluteTimeout`. */
const DROPPED: RecordState = Object.freeze({ kind: 'gone' })

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
export class Session {
  readonly #store: SessionStore
  readonly #config: SessionConfig
  readonly #now: () => number
  readonly #storeTimeout: number
  /** The event handlers, when there are any. */
  readonly #events: EngineEvents | undefined
  /** When the running `save()` started, for the `saved` event's duration. */
  #saveStarted = 0
  /**
   * Milliseconds of `storeTimeout` this request has left for store calls and save-lane waits;
   * undefined for an in-process store, which is never raced against a timer.
   */
  #storeTimeLeft: number | undefined
  readonly #onFirstAccess: (() => void) | undefined
  #id: string | undefined
  /** The live record the data is based on, if any. */
  #stored: StoredState | undefined
  #data = new SessionData()
  readonly #log = new ChangeLog()
  #loaded = false
  #loading: Promise<void> | undefined
  #modified = false
  #accessed = false
  #saved = false
  #expiry: Expiry | undefined
  /** `setExpiry` was called: a replay on a fresher record keeps this request's expiry. */
  #expirySet = false
  /** The owner key the next save writes (sessions per user): the loaded one, or as bound. */
  #owner: string | undefined
  /** `bind` or `clear` was called: a replay on a fresher record keeps this request's owner. */
  #ownerSet = false
  /**
   * `cycleId` was called: the next save moves a stored session to a new id, and its record is
   * created as a cycled one (also when there was no stored record yet: a login on a first visit).
   */
  #cycling = false
  #lostTo: 'logout' | 'login' | undefined
  /** The record key of the cookie's session when the load found it moved by a login. */
  #movedFrom: string | undefined
  #closed = false

  /**
   * `id` is the session id from a verified cookie, if the request had one. `onFirstAccess` is
   * called once, when the handler first uses the session (the middleware adds `Vary: Cookie`
   * then, while the response is still being prepared, which is cheaper than changing it after).
   */
  constructor(config: SessionConfig, id?: string, onFirstAccess?: () => void) {
    this.#config = config
    this.#store = config.store
    this.#now = config.now ?? Date.now
    this.#storeTimeout = config.storeTimeout ?? DEFAULT_STORE_TIMEOUT
    this.#events = config.on === undefined ? undefined : new EngineEvents(config.on, this.#now)
    this.#storeTimeLeft = config.store.inProcess === true ? undefined : this.#storeTimeout
    this.#id = id
    this.#onFirstAccess = onFirstAccess
  }

  #access(): void {
    if (this.#accessed) return
    this.#accessed = true
    this.#onFirstAccess?.()
  }

  /** Every change goes through here: none once the response has been decided. */
  #change(): void {
    this.#access()
    if (this.#closed) {
      throw new SessionError(
        'RESPONSE_STARTED',
        'The session was changed after the response was decided (inside a stream, or after the middleware finished): the change could not be saved. Make every session change, or call `await session.save()`, before returning a streaming response.'
      )
    }
  }

  /** The session id; undefined for a new session until saved, and after cycleId/flush. */
  get id(): string | undefined {
    return this.#id
  }

  /** True once this request changed the data or the expiry (Django's `modified`). */
  get isModified(): boolean {
    return this.#modified
  }

  /** True once `save()` persisted this session (by the handler or the middleware). */
  get wasSaved(): boolean {
    return this.#saved
  }

  /** True once the record was loaded (or there was none to load). */
  get isLoaded(): boolean {
    return this.#loaded
  }

  /** True once the handler used the session in any way (Django's `accessed`). */
  get isAccessed(): boolean {
    return this.#accessed
  }

  /**
   * Set when the session this request loaded ended under it, and its changes were dropped:
   * `'logout'` when a concurrent request flushed it (or it expired meanwhile: the response
   * removes the cookie), `'login'` when a concurrent `cycleId` moved it to a new id (the
   * response leaves the cookie alone: the browser gets the new one from that request).
   */
  get lostTo(): 'logout' | 'login' | undefined {
    return this.#lostTo
  }

  /**
   * The expiry in force: the one set for this session, else the configured one. A per-session
   * expiry stored by an earlier request is known once the session is loaded (`await load()`).
   */
  get expiry(): Expiry {
    return this.#expiry ?? this.#config.expiry ?? defaultExpiry
  }

  /**
   * The owner key (`ownerKeyOf(userId)`) the session is bound to, as the next save writes it: the
   * stored one once loaded, or the one `bind` set. Undefined for a session bound to no one.
   */
  get owner(): string | undefined {
    return this.#owner
  }

  /** How this session is persisted: its store, expiry and timeouts (the auth helpers read it). */
  get config(): Readonly<SessionConfig> {
    return this.#config
  }

  /** The record key of this session (as stores and events see it); undefined with no id. */
  get recordKey(): string | undefined {
    return this.#recordKey()
  }

  /** Reports stored data the typed layer found not to fit (an `invalid` event, or a warning). */
  reportInvalid(report: InvalidReport): void {
    reportInvalidData(this.#config.on, this.#recordKey(), this.#now(), report)
  }

  /** The schema version of the loaded record, or undefined if none was loaded. */
  get storedSchemaVersion(): number | undefined {
    return this.#stored?.schemaVersion
  }

  /** The value of `key`, or undefined; a copy, so mutating it changes nothing. */
  async get(key: string): Promise<JsonValue | undefined> {
    this.#access()
    const current = this.#current(key)
    const value = current instanceof Promise ? await current : current
    return value === undefined ? undefined : copyJson(value)
  }

  /**
   * Stores `value` under `key`: a blind write (on a conflict with a concurrent save, this value
   * is written again). Refuses a value JSON cannot carry as-is with `INVALID_VALUE`; marks the
   * session modified only if the value differs from the current one.
   */
  async set(key: string, value: unknown): Promise<void> {
    this.#change()
    const copy = cloneJson(value, key)
    this.#checkValueSize(key, copy)
    const pending = this.#current(key)
    const current = pending instanceof Promise ? await pending : pending
    if (current !== undefined && jsonEqual(current, copy)) return
    this.#apply({ op: 'set', key, value: copy })
  }

  /**
   * Read-modify-write of one key: `fn(current)` gives the new value (`undefined` removes the
   * key), which is returned. `fn` must be pure: on a conflict with a concurrent save it runs
   * again on the fresh value, so 50 racing increments count 50.
   */
  async update(
    key: string,
    fn: (current: JsonValue | undefined) => unknown
  ): Promise<JsonValue | undefined> {
    this.#change()
    const step: UpdateStep = (current) => {
      const next = fn(current)
      if (next === undefined) return undefined
      const copy = cloneJson(next, key)
      this.#checkValueSize(key, copy)
      return copy
    }
    const current = await this.#current(key)
    const next = step(current === undefined ? undefined : copyJson(current))
    this.#log.add({ op: 'update', key, step })
    if (next === undefined) {
      if (current !== undefined) this.#applyOnly({ op: 'delete', key })
      return undefined
    }
    if (current === undefined || !jsonEqual(current, next))
      this.#applyOnly({ op: 'set', key, value: next })
    return copyJson(next)
  }

  /** True if `key` holds a value. */
  async has(key: string): Promise<boolean> {
    this.#access()
    return (await this.#current(key)) !== undefined
  }

  /** Removes `key`; returns whether it existed. Modified only if it existed (Django). */
  async delete(key: string): Promise<boolean> {
    this.#change()
    if ((await this.#current(key)) === undefined) return false
    this.#apply({ op: 'delete', key })
    return true
  }

  /** The keys that hold a value. */
  async keys(): Promise<string[]> {
    this.#access()
    if (this.#data.needsRecord) await this.load()
    return [...this.#data.materialize().keys()]
  }

  /** Empties the data and keeps the id, bound to no one (see `bind`); needs no store load. */
  async clear(): Promise<void> {
    this.#change()
    this.#apply({ op: 'clear' })
    this.#owner = undefined
    this.#ownerSet = true
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
    this.#change()
    if (ownerKey !== undefined) {
      if (!isOwnerKey(ownerKey)) {
        throw new SessionError(
          'INVALID_VALUE',
          'bind() takes an owner key, ownerKeyOf(userId) (43 base64url characters), or undefined to unbind.'
        )
      }
      if (typeof this.#store.listOwner !== 'function') throw noOwnerIndex('Binding a session')
    }
    await this.load()
    if (this.#lostTo !== undefined) return
    this.#ownerSet = true
    if (this.#owner === ownerKey) return
    this.#owner = ownerKey
    this.#modified = true
  }

  /**
   * Logout: ends the stored record and empties the data. The id is forgotten, so a later write
   * in the same request gets a brand-new id (Django; differs from tower-sessions). The session is
   * emptied before the store is asked, so even when the store fails the response removes the
   * cookie. A session that a concurrent `cycleId` moved to a new id is ended there too.
   */
  async flush(): Promise<void> {
    this.#change()
    // A session a login moved under this request is followed and ended at its new id.
    const key = this.#recordKey() ?? this.#movedFrom
    const version = this.#stored?.version
    this.#reset()
    this.#loaded = true
    this.#modified = true
    // A logout removes the cookie, even one a concurrent login had made inert.
    this.#lostTo = undefined
    if (key === undefined) return
    await this.#inLane(key, async (lane) => {
      await endRecord(this.#store, key, {
        version,
        schemaVersion: this.#config.schemaVersion ?? 1,
        now: this.#now,
        call: (operation, run) => this.#call(operation, run),
        fetch: (recordKey) => this.#fetch(recordKey, true),
        onEnded: (recordKey) => this.#events?.flushed(recordKey),
      })
      lane.last = null
    })
  }

  /**
   * Login or privilege change: a new id at the next save, the data kept. At that save the old
   * record becomes a short-lived marker naming the new one, so a request racing it neither
   * writes under the old id nor logs the browser out; a logout racing it still wins. A request
   * that fails (5xx) keeps the old session. `absoluteTimeout` counts from the first creation.
   */
  async cycleId(): Promise<void> {
    this.#change()
    await this.load()
    if (this.#lostTo !== undefined) return
    this.#cycling = true
    this.#id = undefined
    this.#modified = true
  }

  /**
   * Extends the session's expiry without changing its data: the next save rewrites the record
   * with a fresh `expiresAt` and re-sends the cookie (an `onInactivity` session slides).
   */
  touch(): void {
    this.#change()
    this.#modified = true
  }

  /** Sets this session's expiry; persisted in the record, marks the session modified. */
  setExpiry(expiry: Expiry): void {
    this.#change()
    this.#expiry = expiry
    this.#expirySet = true
    this.#modified = true
  }

  /** When this session ends if saved now (after the absolute timeout, if one is set). */
  expiresAt(): Date {
    return new Date(this.#expiresAtMs(this.#now()))
  }

  /** Seconds until `expiresAt()`, rounded up, never negative. */
  expiryAge(): number {
    const now = this.#now()
    return secondsUntil(this.#expiresAtMs(now), now)
  }

  /** When the stored record ends (epoch milliseconds); undefined if nothing is stored. */
  get storedExpiresAt(): number | undefined {
    return this.#stored?.expiresAt
  }

  /** Seconds until the stored record ends, never negative; undefined if nothing is stored. */
  storedExpiryAge(): number | undefined {
    if (this.#stored === undefined) return undefined
    return secondsUntil(this.#stored.expiresAt, this.#now())
  }

  /** True when there is no id and no data (Django's `is_empty`). */
  isEmpty(): boolean {
    return this.#id === undefined && this.#data.materialize().size === 0
  }

  /**
   * Refuses every later change with `RESPONSE_STARTED`: the middleware calls it once it has
   * decided the response, so a write from a stream is an error instead of silently lost.
   */
  close(): void {
    this.#closed = true
  }

  /**
   * Loads the record if it has not been loaded. Concurrent calls share one store round trip.
   * An unknown, expired or timed-out id is dropped: it is never adopted.
   */
  load(): Promise<void> {
    if (this.#loaded) return Promise.resolve()
    return (this.#loading ??= this.#load())
  }

  /**
   * Persists the session now: creates a record under a fresh id if it has none, else a
   * compare-and-set save that replays this request's changes on a fresher record after a
   * conflict, until `conflictTimeout` is spent (then `CONFLICT`). A session that a concurrent
   * request ended meanwhile is not saved at all (see `lostTo`).
   */
  async save(): Promise<void> {
    this.#change()
    await this.load()
    if (this.#lostTo !== undefined) return
    this.#saveStarted = this.#events?.clock('saved') ?? 0
    const stored = this.#stored
    if (stored === undefined) return this.#create()
    return this.#inLane(stored.key, (lane) =>
      this.#cycling ? this.#move(lane) : this.#compareAndSet(lane)
    )
  }

  // ── saving ────────────────────────────────────────────────────────────────────────────────

  async #compareAndSet(lane: SaveLane): Promise<void> {
    const deadline = this.#deadline()
    for (let attempt = 1; ; attempt++) {
      if (this.#catchUp(lane)) return
      const started = this.#events?.clock('conflict')
      const stored = this.#stored!
      const { record, data } = this.#build(stored.key, stored.createdAt, stored.version + 1)
      if (await this.#call('save', () => this.#store.save(record, stored.version))) {
        lane.last = record
        return this.#settle(record, data, attempt)
      }
      const fresh = await this.#fetch(stored.key, true)
      if (fresh.kind === 'live' && fresh.record.token === record.token) {
        lane.last = record // our own write, whose reply was lost: never apply it twice
        return this.#settle(record, data, attempt)
      }
      this.#events?.conflict(stored.key, attempt, started!)
      if (this.#rebase(fresh)) return
      await this.#backoff(attempt, deadline)
    }
  }

  /**
   * `cycleId`'s save: the data under a new id, then a compare-and-set of the old record to a
   * moved marker (the moment the session moves; a logout or another login that got there first
   * wins), then the marker under `movedMarkerKey` for racing requests, then the old record is
   * deleted. Only the login that moved the session writes that marker: a login that lost to
   * another one finds the winner's marker and leaves the browser on the winner's cookie.
   */
  async #move(lane: SaveLane): Promise<void> {
    if (this.#catchUp(lane)) return
    const deadline = this.#deadline()
    const schemaVersion = this.#config.schemaVersion ?? 1
    let created = await this.#insert(this.#stored!.createdAt)
    const to = created.record.key
    for (let attempt = 1; ; attempt++) {
      const started = this.#events?.clock('conflict')
      const stored = this.#stored!
      const moved = markerRecord(stored.key, stored.version + 1, schemaVersion, this.#now(), to)
      if (!(await this.#call('save', () => this.#store.save(moved, stored.version)))) {
        const fresh = await this.#fetch(stored.key, true)
        const ours = fresh.kind === 'moved' && fresh.to === to // the reply was lost
        if (!ours) {
          if (fresh.kind !== 'live') {
            // A logout (or another login) came first: nothing of this login may outlive it.
            await this.#call('delete', () => this.#store.delete(to))
            this.#rebase(fresh)
            return
          }
          // A concurrent write reached the old record first: carry it into the new one.
          this.#events?.conflict(stored.key, attempt, started!)
          this.#rebase(fresh)
          const rebuilt = this.#build(to, stored.createdAt, 0)
          await this.#call('save', () => this.#store.save(rebuilt.record))
          created = { ...rebuilt, id: created.id }
          await this.#backoff(attempt, deadline)
          continue
        }
      }
      lane.last = moved
      const marker = markerRecord(movedMarkerKey(stored.key), 0, schemaVersion, this.#now(), to)
      await this.#call('save', () => this.#store.save(marker))
      await this.#call('delete', () => this.#store.delete(stored.key))
      this.#id = created.id
      this.#events?.created(created.record, true)
      this.#events?.cycled(to, stored.key)
      return this.#settle(created.record, created.data, attempt)
    }
  }

  /** A new session: the data under a fresh id. */
  async #create(): Promise<void> {
    const { id, record, data } = await this.#insert(this.#now())
    this.#id = id
    this.#events?.created(record, false)
    this.#settle(record, data)
  }

  /** Inserts the data under a freshly drawn id (drawing again on a collision). */
  async #insert(createdAt: number) {
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const id = generateSessionId()
      const { record, data } = this.#build(recordKeyOf(id, true), createdAt, 0)
      const options = this.#cycling ? CYCLED : undefined
      if (await this.#call('create', () => this.#store.create(record, options))) {
        return { id, record, data }
      }
    }
    throw new SessionError(
      'ID_COLLISION',
      `${CREATE_ATTEMPTS} freshly drawn session ids all existed in the store; check that the store's create() returns false only for an existing key.`
    )
  }

  /** Takes in what an earlier save in this process's lane wrote; true if the session ended. */
  #catchUp(lane: SaveLane): boolean {
    const last = lane.last
    if (last === undefined) return false
    if (last !== null && last.version <= this.#stored!.version) return false
    return this.#rebase(stateOf(last))
  }

  /**
   * Puts a fresher state of the record under the data and replays this request's changes on
   * it; true when the record is gone or moved, which ends this request's session instead.
   */
  #rebase(state: RecordState): boolean {
    if (state.kind !== 'live') {
      this.#reset()
      this.#lostTo = state.kind === 'gone' ? 'logout' : 'login'
      this.#modified = false
      return true
    }
    this.#data.settle(this.#adopt(state.record))
    this.#log.replayOn(this.#data)
    return false
  }

  async #backoff(attempt: number, deadline: number): Promise<void> {
    if (performance.now() >= deadline) {
      throw new SessionError(
        'CONFLICT',
        `The session kept changing under concurrent requests; its save was given up after ${attempt} attempts in ${this.#config.conflictTimeout ?? DEFAULT_CONFLICT_TIMEOUT} ms (conflictTimeout). Retry the request.`
      )
    }
    await pause(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt))
  }

  #deadline(): number {
    return performance.now() + (this.#config.conflictTimeout ?? DEFAULT_CONFLICT_TIMEOUT)
  }

  #settle(record: SessionRecord, data: Map<string, JsonValue>, attempts = 1): void {
    this.#events?.saved(record, attempts, this.#saveStarted)
    this.#stored = storedStateOf(record)
    this.#data.settle(data)
    this.#log.reset()
    this.#cycling = false
    this.#modified = false
    this.#saved = true
  }

  #build(key: string, createdAt: number, version: number) {
    const now = this.#now()
    const data = this.#data.materialize()
    this.#dropUnwritable(data)
    const record: SessionRecord = {
      key,
      data: objectFromMap(data),
      createdAt,
      expiresAt: this.#expiresAtMs(now, createdAt),
      version,
      schemaVersion: this.#config.schemaVersion ?? 1,
      token: writeToken(),
    }
    if (this.#expiry !== undefined) record.expiry = this.#expiry
    if (this.#owner !== undefined) record.owner = this.#owner
    checkJsonSize(record.data, this.#maxSize(), 'The session')
    return { record, data }
  }

  /**
   * A stored value nested deeper than a session can be written (`MAX_JSON_DEPTH`: this engine
   * never wrote it, and far deeper ones overflow the stack of `JSON.stringify` and of the
   * stores' codecs) would fail every save of the session, so it is stored data that does not
   * fit, whether or not the schema still has its key: the `onCorruptRecord` policy drops it from
   * what is saved (the default) or throws `INVALID_STORED_DATA`. This request's own values are
   * never that deep: `set` and `update` refuse them.
   */
  #dropUnwritable(data: Map<string, JsonValue>): void {
    for (const [key, value] of data) {
      if (!nestsDeeperThan(value, MAX_JSON_DEPTH)) continue
      const error = new SessionError(
        'INVALID_STORED_DATA',
        `The stored value of session key "${key}" is nested over ${MAX_JSON_DEPTH} levels deep, more than a session can write back. Remove it from the store, or use onInvalid: 'drop' to discard such values at the next save.`
      )
      const decision = this.#config.onCorruptRecord?.(error) ?? 'drop'
      this.reportInvalid({ reason: 'value', key, issues: [issueOf(error)], decision })
      if (decision === 'throw') throw error
      data.delete(key)
    }
  }

  // ── loading ───────────────────────────────────────────────────────────────────────────────

  async #load(): Promise<void> {
    const key = this.#recordKey()
    let state: RecordState
    try {
      state = key === undefined ? GONE : await this.#fetch(key, true)
    } finally {
      this.#loading = undefined
    }
    if (state.kind === 'live') {
      this.#events?.loaded(state.record)
      this.#data.rebase(this.#adopt(state.record))
    } else {
      // A verified id whose record is not there (a dropped or timed-out one is told of already).
      if (state === GONE && key !== undefined) this.#events?.expired(key, 'load')
      // Unknown, expired or gone: never adopted. A moved one leaves this request inert.
      if (state.kind === 'moved') {
        this.#lostTo = 'login'
        this.#movedFrom = key
      }
      this.#id = undefined
      this.#stored = undefined
      this.#data.rebase(new Map())
    }
    this.#loaded = true
  }

  /**
   * The record at `key` as a state: corrupt records by the policy, timed-out ones deleted. With
   * `markers`, a missing record is looked up once more under its moved-marker key, to tell a
   * session that a concurrent `cycleId` moved from one that ended.
   */
  async #fetch(key: string, markers = false): Promise<RecordState> {
    let record: SessionRecord | undefined
    try {
      record = await this.#call('load', () => this.#store.load(key))
      if (record !== undefined && !isRecordShape(record)) throw corruptRecord(key)
    } catch (error) {
      if (!isSessionError(error) || error.code !== 'INVALID_STORED_DATA') throw error
      const decision = this.#config.onCorruptRecord?.(error) ?? 'drop'
      const report = { reason: 'record', issues: [issueOf(error)], decision } as const
      reportInvalidData(this.#config.on, key, this.#now(), report)
      if (decision === 'throw') throw error
      return DROPPED
    }
    const state = stateOf(record)
    if (state.kind === 'gone' && markers) {
      const marker = await this.#call('load', () => this.#store.load(movedMarkerKey(key)))
      return stateOf(marker).kind === 'moved' ? stateOf(marker) : GONE
    }
    const timeout = this.#config.absoluteTimeout
    if (state.kind === 'live' && timeout !== undefined) {
      if (state.record.createdAt + timeout * 1000 <= this.#now()) {
        await this.#call('delete', () => this.#store.delete(key))
        this.#events?.expired(key, 'absoluteTimeout')
        return DROPPED
      }
    }
    return state
  }

  /** Takes a live record as the base: its metadata, expiry and (upgraded) data. */
  #adopt(record: SessionRecord): Map<string, JsonValue> {
    this.#stored = storedStateOf(record)
    if (!this.#expirySet) this.#expiry = parseExpiry(record.expiry)
    if (!this.#ownerSet) this.#owner = record.owner
    let data: JsonObject | undefined = record.data
    const upgrade = this.#config.upgrade
    if (upgrade !== undefined && record.schemaVersion !== (this.#config.schemaVersion ?? 1)) {
      data = upgrade(record)
      // Upgraded: saved under the current version at the end of this request.
      if (data !== undefined) this.#modified = true
    }
    const map = new Map<string, JsonValue>()
    for (const key in data) if (Object.hasOwn(data, key)) map.set(key, data[key]!)
    return map
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  /** Runs one store call within what is left of `storeTimeout`, and spends its time from it. */
  #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const events = this.#events
    if (events?.on.storeError !== undefined) {
      return events.watchStoreCall(operation, this.#recordKey(), () =>
        this.#timedCall(operation, run)
      )
    }
    return this.#timedCall(operation, run)
  }

  #timedCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const left = this.#storeTimeLeft
    if (left === undefined) return attemptStore(operation, run)
    const started = performance.now()
    return attemptStore(operation, run, left).finally(() => this.#spendStoreTime(started))
  }

  /**
   * Runs `save` once the earlier saves of `key` in this process are done (see `inSaveLane`);
   * the wait is store time too, so it is bounded by, and spent from, what is left of it.
   */
  #inLane<T>(key: string, save: (lane: SaveLane) => Promise<T>): Promise<T> {
    const left = this.#storeTimeLeft
    if (left === undefined) return inSaveLane(this.#store, key, this.#storeTimeout, save)
    const entered = performance.now()
    return inSaveLane(this.#store, key, Math.max(0, left), (lane) => {
      this.#spendStoreTime(entered)
      return save(lane)
    })
  }

  #spendStoreTime(since: number): void {
    this.#storeTimeLeft! -= performance.now() - since
  }

  /** Applies a change to the data and records it for replay. */
  #apply(change: Change): void {
    this.#log.add(change)
    this.#applyOnly(change)
  }

  #applyOnly(change: Change): void {
    if (change.op === 'set') this.#data.set(change.key, change.value)
    else if (change.op === 'delete') this.#data.delete(change.key)
    else if (change.op === 'clear') this.#data.clear()
    this.#modified = true
  }

  /** Forgets the session: id, record, data, pending changes and per-session state. */
  #reset(): void {
    this.#id = undefined
    this.#stored = undefined
    this.#data = new SessionData()
    this.#data.settle(new Map())
    this.#log.reset()
    this.#expiry = undefined
    this.#expirySet = false
    this.#owner = undefined
    this.#ownerSet = false
    this.#cycling = false
  }

  #maxSize(): number {
    return this.#config.maxSize ?? Math.min(DEFAULT_MAX_SIZE, this.#store.maxRecordSize ?? Infinity)
  }

  #checkValueSize(key: string, value: JsonValue): void {
    if (typeof value === 'object' && value !== null) {
      checkJsonSize(value, this.#maxSize(), `The value of session key "${key}"`)
    } else if (typeof value === 'string' && value.length * 3 > this.#maxSize()) {
      checkJsonSize(value, this.#maxSize(), `The value of session key "${key}"`)
    }
  }

  /** The current value of `key`, loading the record first if it is needed and not loaded. */
  #current(key: string): JsonValue | undefined | Promise<JsonValue | undefined> {
    const value = this.#data.peek(key)
    if (value !== NOT_LOADED) return value
    return this.load().then(() => this.#data.peek(key) as JsonValue | undefined)
  }

  #recordKey(): string | undefined {
    if (this.#stored !== undefined) return this.#stored.key
    if (this.#id === undefined) return undefined
    return recordKeyOf(this.#id)
  }

  #expiresAtMs(now: number, createdAt = this.#stored?.createdAt ?? now): number {
    const expiresAt = expiresAtFor(this.expiry, now)
    const timeout = this.#config.absoluteTimeout
    return timeout === undefined ? expiresAt : Math.min(expiresAt, createdAt + timeout * 1000)
  }
}

import { SessionError, attemptStore } from './errors.js'
import { Expiry, expiresAtFor, parseExpiry, secondsUntil } from './expiry.js'
import {
  cloneJson,
  copyJson,
  jsonEqual,
  objectFromMap,
  type JsonObject,
  type JsonValue,
} from './json.js'
import { NOT_LOADED, SessionData } from './session-data.js'
import { generateSessionId, recordKeyOf } from './session-id.js'
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
}

/** How many fresh ids `save` draws before giving up with `ID_COLLISION`. */
const CREATE_ATTEMPTS = 5
/** How many times `save` merges and retries after a compare-and-set conflict. */
const CONFLICT_RETRIES = 3

/** What the engine keeps of the stored record besides its data. */
type StoredState = Pick<
  SessionRecord,
  'key' | 'createdAt' | 'version' | 'expiresAt' | 'schemaVersion'
>

function storedStateOf({ key, createdAt, version, expiresAt, schemaVersion }: SessionRecord) {
  return { key, createdAt, version, expiresAt, schemaVersion }
}

const defaultExpiry = Expiry.onSessionEnd()

/**
 * The untyped session engine over JSON values: lazy loading, modified tracking and the
 * Django lifecycle (clear, flush, cycleId). `TypedSession` puts the schema on top of it.
 *
 * The data seen by the handler is the loaded record overlaid with this request's changes. The
 * changes are kept apart so that a compare-and-set conflict at save time can be resolved by
 * reloading and re-applying them key by key, instead of clobbering a concurrent request's keys.
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
  #id: string | undefined
  #stored: StoredState | undefined
  #data = new SessionData()
  #loaded = false
  #loading: Promise<void> | undefined
  #modified = false
  #accessed = false
  #saved = false
  #expiry: Expiry | undefined
  /** Records of ids given up by `cycleId`, deleted once the new id is saved. */
  #retiredKeys: string[] | undefined
  /** The creation time a cycled session keeps, so `absoluteTimeout` still counts from it. */
  #keptCreatedAt: number | undefined

  /**
   * `id` is the session id from a verified cookie, if the request had one. `onFirstAccess` is
   * called once, when the handler first uses the session (the middleware adds `Vary: Cookie`
   * then, while the response is still being prepared, which is cheaper than changing it after).
   */
  constructor(config: SessionConfig, id?: string, onFirstAccess?: () => void) {
    this.#config = config
    this.#store = config.store
    this.#now = config.now ?? Date.now
    this.#id = id
    this.#onFirstAccess = onFirstAccess
  }

  readonly #onFirstAccess: (() => void) | undefined

  #access(): void {
    if (this.#accessed) return
    this.#accessed = true
    this.#onFirstAccess?.()
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

  /** True once the handler used the session in any way (Django's `accessed`). */
  get isAccessed(): boolean {
    return this.#accessed
  }

  /**
   * The expiry in force: the one set for this session, else the configured one. A per-session
   * expiry stored by an earlier request is known once the session is loaded (`await load()`).
   */
  get expiry(): Expiry {
    return this.#expiry ?? this.#config.expiry ?? defaultExpiry
  }

  /** The schema version of the loaded record, or undefined if none was loaded. */
  get storedSchemaVersion(): number | undefined {
    return this.#stored?.schemaVersion
  }

  /** The value of `key`, or undefined; a copy, so mutating it changes nothing. */
  async get(key: string): Promise<JsonValue | undefined> {
    this.#access()
    const value = await this.#current(key)
    return value === undefined ? undefined : copyJson(value)
  }

  /**
   * Stores `value` under `key`. Refuses a value JSON cannot carry as-is with `INVALID_VALUE`;
   * marks the session modified only if the value differs from the current one.
   */
  async set(key: string, value: unknown): Promise<void> {
    this.#access()
    await this.#put(key, cloneJson(value, key))
  }

  /** Read-modify-write of one key; returns the new value. */
  async update(key: string, fn: (current: JsonValue | undefined) => unknown): Promise<JsonValue> {
    const next = cloneJson(fn(await this.get(key)), key)
    await this.#put(key, next)
    return copyJson(next)
  }

  /** Stores a value this session owns (already copied); modified only if it changes the data. */
  async #put(key: string, value: JsonValue): Promise<void> {
    const current = await this.#current(key)
    if (current !== undefined && jsonEqual(current, value)) return
    this.#data.set(key, value)
    this.#modified = true
  }

  /** True if `key` holds a value. */
  async has(key: string): Promise<boolean> {
    this.#access()
    return (await this.#current(key)) !== undefined
  }

  /** Removes `key`; returns whether it existed. Modified only if it existed (Django). */
  async delete(key: string): Promise<boolean> {
    this.#access()
    if ((await this.#current(key)) === undefined) return false
    this.#data.delete(key)
    this.#modified = true
    return true
  }

  /** The keys that hold a value. */
  async keys(): Promise<string[]> {
    this.#access()
    if (this.#data.needsRecord) await this.load()
    return [...this.#data.materialize().keys()]
  }

  /** Empties the data and keeps the id; needs no store load. */
  async clear(): Promise<void> {
    this.#access()
    this.#data.clear()
    this.#modified = true
  }

  /**
   * Logout: deletes the stored record and empties the data. The id is forgotten, so a later
   * write in the same request gets a brand-new id (Django; differs from tower-sessions).
   */
  async flush(): Promise<void> {
    this.#access()
    const key = this.#recordKey()
    if (key !== undefined) (this.#retiredKeys ??= []).push(key)
    await this.#deleteRetired()
    this.#forget()
    this.#keptCreatedAt = undefined
    this.#loaded = true
    this.#data = new SessionData()
    this.#data.settle(new Map())
    this.#expiry = undefined
    this.#modified = true
  }

  /**
   * Login or privilege change: a new id at the next save, the data kept. The old record is
   * deleted once the new one is saved, so a request that fails (5xx) keeps the old session.
   * The creation time is kept: `absoluteTimeout` counts from the session's first creation.
   */
  async cycleId(): Promise<void> {
    this.#access()
    await this.load()
    const stored = this.#stored
    if (stored !== undefined) {
      ;(this.#retiredKeys ??= []).push(stored.key)
      this.#keptCreatedAt = stored.createdAt
    }
    const data = this.#data.materialize()
    this.#forget()
    this.#data.settle(data)
    this.#modified = true
  }

  /** Sets this session's expiry; persisted in the record, marks the session modified. */
  setExpiry(expiry: Expiry): void {
    this.#access()
    this.#expiry = expiry
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
   * Loads the record if it has not been loaded. Concurrent calls share one store round trip.
   * An unknown, expired or timed-out id is dropped: it is never adopted.
   */
  load(): Promise<void> {
    if (this.#loaded) return Promise.resolve()
    this.#loading ??= this.#load().finally(() => (this.#loading = undefined))
    return this.#loading
  }

  /**
   * Persists the session now: creates a record under a fresh id if it has none, else a
   * compare-and-set save. On a conflict with a concurrent save, reloads and re-applies this
   * request's changes key by key, a bounded number of times, then throws `CONFLICT`.
   */
  async save(): Promise<void> {
    this.#access()
    await this.load()
    for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      const stored = this.#stored
      if (stored === undefined) return this.#create()
      const now = this.#now()
      const data = this.#data.materialize()
      const record = this.#record(stored.key, data, stored.createdAt, now, stored.version + 1)
      const saved = await attemptStore('save', () => this.#store.save(record, stored.version))
      if (saved) return this.#settle(data, record)
      // Another request saved (or deleted) this session meanwhile: merge with its state.
      this.#loaded = false
      this.#data.rebase(undefined)
      this.#stored = undefined
      await this.load()
    }
    throw new SessionError(
      'CONFLICT',
      `The session kept changing under concurrent requests; its save was given up after ${CONFLICT_RETRIES} retries. Retry the request.`
    )
  }

  async #create(): Promise<void> {
    const now = this.#now()
    const createdAt = this.#keptCreatedAt ?? now
    const data = this.#data.materialize()
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const id = generateSessionId()
      const record = this.#record(recordKeyOf(id), data, createdAt, now, 0)
      if (await attemptStore('create', () => this.#store.create(record))) {
        this.#id = id
        this.#settle(data, record)
        return this.#deleteRetired()
      }
    }
    throw new SessionError(
      'ID_COLLISION',
      `${CREATE_ATTEMPTS} freshly drawn session ids all existed in the store; check that the store's create() returns false only for an existing key.`
    )
  }

  #settle(data: Map<string, JsonValue>, record: SessionRecord): void {
    this.#stored = storedStateOf(record)
    this.#data.settle(data)
    this.#modified = false
    this.#saved = true
  }

  async #deleteRetired(): Promise<void> {
    const keys = this.#retiredKeys ?? []
    this.#retiredKeys = undefined
    for (const key of keys) {
      await attemptStore('delete', () => this.#store.delete(key))
    }
  }

  #record(
    key: string,
    data: Map<string, JsonValue>,
    createdAt: number,
    now: number,
    version: number
  ): SessionRecord {
    const record: SessionRecord = {
      key,
      data: objectFromMap(data),
      createdAt,
      expiresAt: this.#expiresAtMs(now, createdAt),
      version,
      schemaVersion: this.#config.schemaVersion ?? 1,
    }
    if (this.#expiry !== undefined) record.expiry = this.#expiry
    return record
  }

  async #load(): Promise<void> {
    const key = this.#recordKey()
    let record: SessionRecord | undefined
    if (key !== undefined) {
      record = await attemptStore('load', () => this.#store.load(key))
      const timeout = this.#config.absoluteTimeout
      if (record !== undefined && timeout !== undefined) {
        if (record.createdAt + timeout * 1000 <= this.#now()) {
          await attemptStore('delete', () => this.#store.delete(key))
          record = undefined
        }
      }
    }
    if (record === undefined) {
      this.#forget()
      this.#data.rebase(new Map())
    } else {
      this.#stored = storedStateOf(record)
      this.#expiry ??= parseExpiry(record.expiry)
      let data: JsonObject | undefined = record.data
      const upgrade = this.#config.upgrade
      if (upgrade !== undefined && record.schemaVersion !== (this.#config.schemaVersion ?? 1)) {
        data = upgrade(record)
        // Upgraded: saved under the current version at the end of this request.
        if (data !== undefined) this.#modified = true
      }
      this.#data.rebase(new Map(data === undefined ? [] : Object.entries(data)))
    }
    this.#loaded = true
  }

  async #current(key: string): Promise<JsonValue | undefined> {
    const value = this.#data.peek(key)
    if (value !== NOT_LOADED) return value
    await this.load()
    return this.#data.peek(key) as JsonValue | undefined
  }

  #recordKey(): string | undefined {
    if (this.#stored !== undefined) return this.#stored.key
    if (this.#id === undefined) return undefined
    return recordKeyOf(this.#id)
  }

  #forget(): void {
    this.#id = undefined
    this.#stored = undefined
  }

  #expiresAtMs(now: number, createdAt = this.#stored?.createdAt ?? now): number {
    const expiresAt = expiresAtFor(this.expiry, now)
    const timeout = this.#config.absoluteTimeout
    return timeout === undefined ? expiresAt : Math.min(expiresAt, createdAt + timeout * 1000)
  }
}

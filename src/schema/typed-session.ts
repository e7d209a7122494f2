import type { Expiry } from '../core/expiry.js'
import { ownerKeyOf } from '../core/owner.js'
import type { JsonValue } from '../core/json.js'
import type { Session } from '../core/session.js'
import { updateNow } from '../core/session-now.js'
import { shownPrefix } from './flash.js'
import type { SessionDefinition, SessionSchema } from './define-session.js'
import type {
  ClientInfo,
  DeepReadonly,
  FlashKey,
  FlashMessage,
  SessionKey,
  SessionReadValue,
  SessionSnapshot,
  SessionValue,
} from './session-types.js'
import { ABSENT, TypedReads } from './typed-reads.js'
import { encodeValue, schemaOf } from './typed-writes.js'

// Settled promises for the calls that complete at once: nothing can change them.
const TRUE = Promise.resolve(true)
const FALSE = Promise.resolve(false)
const settled = () => undefined

const NO_CLIENT: ClientInfo = Object.freeze({ userAgent: undefined, ip: undefined })

/**
 * The typed face of a session: every read and write is checked against the key's schema.
 * In a Hono handler it is `c.var.session`.
 * @example
 * const n = await c.var.session.get('counter') // number
 * await c.var.session.set('counter', n + 1)
 */
export class TypedSession<S extends SessionSchema> {
  readonly #definition: SessionDefinition<S>
  readonly #session: Session
  readonly #client: (() => ClientInfo) | undefined
  /** Made at the first read: a route that never reads needs none. */
  #reads: TypedReads<S> | undefined

  /** `client` gives the request's client details when first asked for (the middleware's). */
  constructor(definition: SessionDefinition<S>, session: Session, client?: () => ClientInfo) {
    this.#definition = definition
    this.#session = session
    this.#client = client
  }

  /** The client of the request this session belongs to; empty outside a request. */
  get client(): ClientInfo {
    return this.#client?.() ?? NO_CLIENT
  }

  /** The untyped engine under this session. */
  get engine(): Session {
    return this.#session
  }

  /** The session id; undefined for a new session until saved, and after cycleId/flush. */
  get id(): string | undefined {
    return this.#session.id
  }

  /** True once this request changed the data or the expiry. */
  get isModified(): boolean {
    return this.#session.isModified
  }

  /** The expiry in force for this session. */
  get expiry(): Expiry {
    return this.#session.expiry
  }

  /**
   * The value of `key`, validated against its schema. An absent key yields what the schema
   * makes of `undefined` (its default), or `undefined`. A stored value that fails its schema is
   * handled by the definition's `onInvalid` policy.
   */
  get<K extends SessionKey<S>>(key: K): Promise<DeepReadonly<SessionReadValue<S, K>>> {
    type Read = DeepReadonly<SessionReadValue<S, K>>
    try {
      const schema = schemaOf(this.#definition, key)
      const read = this.#readsNow().read(key, schema)
      // Absent (or dropped as invalid): what the key's schema makes of no value, e.g. its default.
      if (read instanceof Promise) {
        return read.then(
          (value) => (value === ABSENT ? this.#reads!.absent(schema) : value) as Read
        )
      }
      return Promise.resolve((read === ABSENT ? this.#reads!.absent(schema) : read) as Read)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Validates `value` against the key's schema, then stores it. On failure throws
   * `SessionError` `INVALID_VALUE` and changes nothing. Setting `undefined` on an optional key
   * removes it.
   */
  set<K extends SessionKey<S>>(
    key: K,
    value: NoInfer<DeepReadonly<SessionValue<S, K>>>
  ): Promise<void> {
    try {
      const encoded = encodeValue(key, schemaOf(this.#definition, key), value)
      if (encoded === undefined) return this.#session.delete(key).then(settled)
      return this.#session.set(key, encoded)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Read-modify-write of one key: `fn(current)` gives the new value, validated; returns it.
   * `fn` must be pure (no side effects, the same result for the same input): when a concurrent
   * request saved the session first, `fn` runs again on the fresh value, and its result is
   * validated again, so concurrent updates never lose each other's changes.
   * @example await session.update('counter', (n) => n + 1)
   */
  update<K extends SessionKey<S>>(
    key: K,
    fn: NoInfer<(current: DeepReadonly<SessionReadValue<S, K>>) => DeepReadonly<SessionValue<S, K>>>
  ): Promise<DeepReadonly<SessionValue<S, K>>> {
    type Value = DeepReadonly<SessionValue<S, K>>
    try {
      const schema = schemaOf(this.#definition, key)
      const reads = this.#readsNow()
      const next = updateNow(this.#session, key, (stored) =>
        encodeValue(key, schema, fn(reads.forUpdate(key, schema, stored) as never))
      )
      if (next instanceof Promise) {
        return next.then((stored) => reads.updated(key, schema, stored) as Value)
      }
      return Promise.resolve(reads.updated(key, schema, next) as Value)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Appends `message` to a list key declared with `flash(schema)`: shown on the next page that
   * calls `consumeFlash`, e.g. after a redirect. Concurrent requests' messages are all kept.
   * @example await c.var.session.flash('notices', 'Welcome back!')
   */
  async flash<K extends FlashKey<S>>(key: K, message: NoInfer<FlashMessage<S, K>>): Promise<void> {
    const schema = schemaOf(this.#definition, key)
    await this.#session.update(key, (stored) => {
      const list = this.#readsNow().forUpdate(key, schema, stored) as unknown[] | undefined
      return encodeValue(key, schema, [...(list ?? []), message])
    })
  }

  /**
   * The messages of a flash key, removed from the session: each is shown once. Only the messages
   * returned are removed: one that a concurrent request flashes meanwhile stays for the next page.
   */
  async consumeFlash<K extends FlashKey<S>>(key: K): Promise<DeepReadonly<SessionValue<S, K>>> {
    const schema = schemaOf(this.#definition, key)
    let shown: readonly JsonValue[] | undefined
    let messages: unknown[] = []
    // An update, not a delete: on a conflict it runs again on the fresh list and takes out only
    // what this page showed (DESIGN.md §8).
    await this.#session.update(key, (stored) => {
      const list = (this.#readsNow().forUpdate(key, schema, stored) ?? []) as unknown[]
      // A list that failed its schema decodes as empty: nothing of it is matched.
      const raw = list.length > 0 ? (stored as JsonValue[]) : []
      if (shown === undefined) {
        shown = raw
        messages = list
        return undefined
      }
      const left = list.slice(shownPrefix(raw, shown))
      return left.length === 0 ? undefined : encodeValue(key, schema, left)
    })
    return messages as DeepReadonly<SessionValue<S, K>>
  }

  /** The keys that hold a value (absent keys, even with a default, are not listed). */
  async keys(): Promise<SessionKey<S>[]> {
    const shape = this.#definition.schema._zod.def.shape
    const keys = await this.#session.keys()
    return keys.filter((key) => Object.hasOwn(shape, key)) as SessionKey<S>[]
  }

  /** A validated, read-only snapshot of the whole session: every key as `get` reads it. */
  async toObject(): Promise<SessionSnapshot<S>> {
    const entries: [string, unknown][] = []
    for (const key of Object.keys(this.#definition.schema._zod.def.shape)) {
      const value = await this.get(key as SessionKey<S>)
      if (value !== undefined) entries.push([key, value])
    }
    // fromEntries defines properties: a `__proto__` key stays data.
    return Object.freeze(Object.fromEntries(entries)) as SessionSnapshot<S>
  }

  /** Extends the session's expiry without changing its data (re-saved, cookie re-sent). */
  touch(): void {
    this.#session.touch()
  }

  /** True if `key` holds a value that fits its schema. */
  has(key: SessionKey<S>): Promise<boolean> {
    try {
      const read = this.#readsNow().read(key, schemaOf(this.#definition, key))
      if (read instanceof Promise) return read.then((value) => value !== ABSENT)
      return read === ABSENT ? FALSE : TRUE
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Removes `key`; returns whether it existed. Modified only if it existed. */
  delete(key: SessionKey<S>): Promise<boolean> {
    schemaOf(this.#definition, key)
    return this.#session.delete(key)
  }

  /** Empties the data and keeps the id. */
  clear(): Promise<void> {
    return this.#session.clear()
  }

  /** Logout: deletes the stored record and empties the data; the response removes the cookie. */
  flush(): Promise<void> {
    return this.#session.flush()
  }

  /**
   * Login or privilege change: a new id, the data kept; the old record is deleted when the new
   * one is saved, and `absoluteTimeout` still counts from the first creation.
   */
  cycleId(): Promise<void> {
    return this.#session.cycleId()
  }

  /**
   * The owner key (`ownerKeyOf(userId)`) of the user this session is bound to, once loaded;
   * undefined when it is bound to no one. Compare it with `ownerKeyOf(id)`.
   */
  get owner(): string | undefined {
    return this.#session.owner
  }

  /**
   * Binds the session to a user (sessions per user, without `typed-sessions/auth`): the store
   * indexes it under `ownerKeyOf(userId)`, for `listOwner`. Call it at login, after `cycleId()`;
   * `cycleId` keeps the binding, `clear()` and `flush()` drop it.
   * @throws SessionError `CONFIG` on a store that keeps no index (Workers KV, unstorage, the
   * CookieStore)
   * @example await c.var.session.cycleId(); await c.var.session.bind(user.id)
   */
  bind(userId: string): Promise<void> {
    return this.#session.bind(ownerKeyOf(userId))
  }

  /** Unbinds the session from its user: the store's index forgets it at the next save. */
  unbind(): Promise<void> {
    return this.#session.bind(undefined)
  }

  /** Sets this session's expiry; persisted in the record. */
  setExpiry(expiry: Expiry): void {
    this.#session.setExpiry(expiry)
  }

  /** When this session ends if saved now. */
  expiresAt(): Date {
    return this.#session.expiresAt()
  }

  /** Seconds until `expiresAt()`, never negative. */
  expiryAge(): number {
    return this.#session.expiryAge()
  }

  /** True when there is no id and no data (Django's `is_empty`). */
  isEmpty(): boolean {
    return this.#session.isEmpty()
  }

  /** Persists the session now (the middleware does this by itself after the handler). */
  save(): Promise<void> {
    return this.#session.save()
  }

  /** Loads the record now if it has not been loaded (it loads lazily on first use anyway). */
  load(): Promise<void> {
    return this.#session.load()
  }

  #readsNow(): TypedReads<S> {
    return (this.#reads ??= new TypedReads(this.#definition, this.#session))
  }
}

import type { $ZodIssue, $ZodType, input, output } from 'zod/v4/core'
import { safeEncode, safeParse } from 'zod/v4/core'
import { SessionError, isSessionError } from '../core/errors.js'
import type { Expiry } from '../core/expiry.js'
import type { Session } from '../core/session.js'
import { describeIssues } from './issues.js'
import { isPlainSchema } from './plain-schema.js'
import { decideInvalid, type SessionDefinition, type SessionSchema } from './define-session.js'

type ShapeOf<S extends SessionSchema> = S['_zod']['def']['shape']
/** The keys of a session schema. */
export type SessionKey<S extends SessionSchema> = Extract<keyof ShapeOf<S>, string>
/** The value type of one key (the schema's output). */
export type SessionValue<S extends SessionSchema, K extends SessionKey<S>> = output<ShapeOf<S>[K]>
/**
 * What `get` returns: the key's output type when its schema accepts an absent value
 * (`.default()`, `.optional()`), else that or `undefined`.
 */
export type SessionReadValue<S extends SessionSchema, K extends SessionKey<S>> =
  undefined extends input<ShapeOf<S>[K]> ? SessionValue<S, K> : SessionValue<S, K> | undefined

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

  constructor(definition: SessionDefinition<S>, session: Session) {
    this.#definition = definition
    this.#session = session
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
  async get<K extends SessionKey<S>>(key: K): Promise<SessionReadValue<S, K>> {
    const read = await this.#read(key)
    if (read.present) return read.value as SessionReadValue<S, K>
    // Absent (or dropped as invalid): what the key's schema makes of no value, e.g. its default.
    const absent = safeParse(this.#schemaOf(key), undefined)
    return (absent.success ? absent.data : undefined) as SessionReadValue<S, K>
  }

  /**
   * Validates `value` against the key's schema, then stores it. On failure throws
   * `SessionError` `INVALID_VALUE` and changes nothing. Setting `undefined` on an optional key
   * removes it.
   */
  async set<K extends SessionKey<S>>(key: K, value: SessionValue<S, K>): Promise<void> {
    await this.#write(key, this.#encode(key, value))
  }

  /**
   * Read-modify-write of one key: `fn(current)` gives the new value, validated; returns it.
   * `fn` must be pure (no side effects, the same result for the same input): when a concurrent
   * request saved the session first, `fn` runs again on the fresh value, and its result is
   * validated again, so concurrent updates never lose each other's changes.
   * @example await session.update('counter', (n) => n + 1)
   */
  async update<K extends SessionKey<S>>(
    key: K,
    fn: (current: SessionReadValue<S, K>) => SessionValue<S, K>
  ): Promise<SessionValue<S, K>> {
    const schema = this.#schemaOf(key)
    const encoded = await this.#session.update(key, (stored) =>
      this.#encode(key, fn(this.#decodeForUpdate(key, schema, stored) as SessionReadValue<S, K>))
    )
    return safeParse(schema, encoded).data as SessionValue<S, K>
  }

  /** True if `key` holds a value that fits its schema. */
  async has(key: SessionKey<S>): Promise<boolean> {
    return (await this.#read(key)).present
  }

  /** Removes `key`; returns whether it existed. Modified only if it existed. */
  delete(key: SessionKey<S>): Promise<boolean> {
    this.#schemaOf(key)
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

  #schemaOf(key: string): $ZodType {
    const shape = this.#definition.schema._zod.def.shape
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined
    if (schema === undefined) {
      throw new SessionError(
        'UNKNOWN_KEY',
        `"${key}" is not a key of the session schema; add it to the z.object() given to defineSession().`
      )
    }
    return schema
  }

  #encode(key: string, value: unknown): unknown {
    const schema = this.#schemaOf(key)
    let result
    try {
      // `encode` turns an output value into the stored (input) form; for a schema without
      // codecs or transforms that is what `parse` does, far cheaper.
      result = isPlainSchema(schema) ? safeParse(schema, value) : safeEncode(schema, value)
    } catch (cause) {
      throw new SessionError(
        'INVALID_VALUE',
        `Session key "${key}" has a schema that cannot be stored (a one-way .transform()?); declare it with z.codec() so its value can be encoded to JSON and decoded back.`,
        { cause }
      )
    }
    if (!result.success) {
      throw new SessionError(
        'INVALID_VALUE',
        `Invalid value for session key "${key}": ${describeIssues(result.error.issues)}. Pass a value that matches the key's schema.`,
        { cause: result.error }
      )
    }
    return result.data
  }

  async #write(key: string, encoded: unknown): Promise<void> {
    if (encoded === undefined) await this.#session.delete(key)
    else await this.#session.set(key, encoded)
  }

  async #invalid(key: string, issues: readonly $ZodIssue[]): Promise<void> {
    this.#decideInvalid(key, issues)
    await this.#session.delete(key)
  }

  /** Throws `INVALID_STORED_DATA` when the definition's policy says so for this value. */
  #decideInvalid(key: string, issues: readonly $ZodIssue[]): void {
    const version = this.#definition.version
    const decision = decideInvalid(this.#definition, {
      reason: 'invalid-value',
      key,
      storedVersion: this.#session.storedSchemaVersion ?? version,
      currentVersion: version,
      issues,
    })
    if (decision === 'throw') {
      throw new SessionError(
        'INVALID_STORED_DATA',
        `The stored value of session key "${key}" does not fit its schema (${describeIssues(issues)}). Add a migration for the schema change, or use onInvalid: 'drop' to discard such values.`
      )
    }
  }

  /**
   * What `update`'s `fn` is given for a stored value: as `get` reads it, except that a value
   * which fails its schema is not removed on the side (the update replaces it anyway).
   */
  #decodeForUpdate(key: string, schema: $ZodType, stored: unknown): unknown {
    if (stored !== undefined) {
      const result = safeParse(schema, stored)
      if (result.success) return result.data
      this.#decideInvalid(key, result.error.issues)
    }
    const absent = safeParse(schema, undefined)
    return absent.success ? absent.data : undefined
  }

  /**
   * The stored value of `key` parsed by its schema. A stored value that fails it goes through
   * the `onInvalid` policy and reads as absent.
   */
  async #read(key: string): Promise<{ present: true; value: unknown } | { present: false }> {
    const schema = this.#schemaOf(key)
    let stored: unknown
    try {
      stored = await this.#session.get(key)
    } catch (error) {
      // A stored value the engine cannot even copy (nested far too deep): data that does not fit.
      if (!isSessionError(error) || error.code !== 'INVALID_STORED_DATA') throw error
      const issue: $ZodIssue = {
        code: 'custom',
        path: [],
        message: error.message,
        input: undefined,
      }
      await this.#invalid(key, [issue])
      return { present: false }
    }
    if (stored === undefined) return { present: false }
    const result = safeParse(schema, stored)
    if (result.success) return { present: true, value: result.data }
    await this.#invalid(key, result.error.issues)
    return { present: false }
  }
}

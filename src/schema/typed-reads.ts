import type { $ZodIssue, $ZodType } from 'zod/v4/core'
import { safeParse } from 'zod/v4/core'
import { SessionError, isSessionError } from '../core/errors.js'
import { eventIssues } from '../core/events.js'
import { freezeJson, type JsonValue } from '../core/json.js'
import type { Session } from '../core/session.js'
import { deleteNow, readNow } from '../core/session-now.js'
import { decideInvalid, type SessionDefinition, type SessionSchema } from './define-session.js'
import { describeIssues } from './issues.js'
import { isPlainSchema } from './plain-schema.js'

/** What `read` gives for a key with no (valid) stored value: no object per read. */
export const ABSENT: unique symbol = Symbol('absent')

/** One stored value and what its schema made of it. */
interface Decoded {
  readonly stored: JsonValue
  readonly value: unknown
}

/**
 * The reading side of a typed session: each stored value validated against its key's schema,
 * once per value the engine holds. The engine hands out the same frozen value until the key
 * changes (a `set`, an `update`, a `delete`, a `clear`, or a fresher record put under the data
 * by a compare-and-set replay), so a value decoded from it is kept and given again while the
 * engine gives that same value: reading a key twice validates it once, and a key that changed
 * is validated anew. Only values of plain schemas (no codec, no transform) are kept, frozen:
 * what a codec decodes (a Date, a Map) cannot be frozen and is decoded at each read.
 */
export class TypedReads<S extends SessionSchema> {
  readonly #definition: SessionDefinition<S>
  readonly #session: Session
  /** The last key decoded: most requests read one or two keys, without a map. */
  #lastKey: string | undefined
  #last: Decoded | undefined
  #others: Map<string, Decoded> | undefined

  constructor(definition: SessionDefinition<S>, session: Session) {
    this.#definition = definition
    this.#session = session
  }

  /**
   * The stored value of `key` parsed by its schema, or `ABSENT`; at once when the engine has the
   * value at hand, else a promise. A stored value that fails its schema goes through the
   * `onInvalid` policy and reads as absent (or throws `INVALID_STORED_DATA`).
   */
  read(key: string, schema: $ZodType): unknown {
    let stored
    try {
      stored = readNow(this.#session, key)
    } catch (error) {
      return this.#unreadable(key, error)
    }
    if (!(stored instanceof Promise)) return this.#decode(key, schema, stored)
    return stored.then(
      (value) => this.#decode(key, schema, value),
      (error: unknown) => this.#unreadable(key, error)
    )
  }

  /**
   * What `update`'s `fn` is given for a stored value: as `get` reads it, except that a value
   * which fails its schema is not removed on the side (the update replaces it anyway).
   */
  forUpdate(key: string, schema: $ZodType, stored: JsonValue | undefined): unknown {
    if (stored !== undefined) {
      const known = this.#known(key, stored)
      if (known !== ABSENT) return known
      const result = safeParse(schema, stored)
      if (result.success) return this.#keep(key, schema, stored, result.data)
      this.#decideInvalid(key, result.error.issues)
    }
    return this.absent(schema)
  }

  /** What `update` returns for the value it stored (`stored`, as the engine keeps it). */
  updated(key: string, schema: $ZodType, stored: JsonValue | undefined): unknown {
    if (stored === undefined) return this.absent(schema)
    return this.#keep(key, schema, stored, safeParse(schema, stored).data)
  }

  /** What the key's schema makes of no value (e.g. its default), or `undefined`. */
  absent(schema: $ZodType): unknown {
    const result = safeParse(schema, undefined)
    if (!result.success) return undefined
    return isPlainSchema(schema) ? freezeJson(result.data as JsonValue) : result.data
  }

  #decode(key: string, schema: $ZodType, stored: JsonValue | undefined): unknown {
    if (stored === undefined) return ABSENT
    const known = this.#known(key, stored)
    if (known !== ABSENT) return known
    const result = safeParse(schema, stored)
    if (result.success) return this.#keep(key, schema, stored, result.data)
    return this.#invalid(key, result.error.issues)
  }

  /** The value decoded earlier from this very stored value, else `ABSENT`. */
  #known(key: string, stored: JsonValue): unknown {
    const decoded = this.#lastKey === key ? this.#last : this.#others?.get(key)
    return decoded !== undefined && decoded.stored === stored ? decoded.value : ABSENT
  }

  #keep(key: string, schema: $ZodType, stored: JsonValue, value: unknown): unknown {
    if (!isPlainSchema(schema)) return value
    const decoded = { stored, value: freezeJson(value as JsonValue) }
    if (this.#lastKey === undefined || this.#lastKey === key) {
      this.#lastKey = key
      this.#last = decoded
    } else (this.#others ??= new Map()).set(key, decoded)
    return decoded.value
  }

  /** A stored value the engine cannot even hand out (nested far too deep): data that does not fit. */
  #unreadable(key: string, error: unknown): unknown {
    if (!isSessionError(error) || !(error.cause instanceof RangeError)) throw error
    const issue: $ZodIssue = { code: 'custom', path: [], message: error.message, input: undefined }
    return this.#invalid(key, [issue])
  }

  /** The policy decides; a dropped value is removed (the record is loaded: at once). */
  #invalid(key: string, issues: readonly $ZodIssue[]): unknown {
    this.#decideInvalid(key, issues)
    const removed = deleteNow(this.#session, key)
    return typeof removed === 'boolean' ? ABSENT : removed.then(() => ABSENT)
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
    this.#session.reportInvalid({ reason: 'value', key, issues: eventIssues(issues), decision })
    if (decision === 'throw') {
      throw new SessionError(
        'INVALID_STORED_DATA',
        `The stored value of session key "${key}" does not fit its schema (${describeIssues(issues)}). Add a migration for the schema change, or use onInvalid: 'drop' to discard such values.`
      )
    }
  }
}

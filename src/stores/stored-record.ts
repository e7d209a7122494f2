import { corruptRecord, isSessionError, unstorableValue } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'

/**
 * The fields of one record as a store read them back, before they are checked: JSON may still
 * be text, numbers may be strings or bigints (as SQL drivers return them), and anything may be
 * damaged (a truncated value, a row edited by hand, a value written by another program). The
 * key is not among them: it is where the store read the record (see `decodeRecord`).
 */
export interface StoredFields {
  data: unknown
  createdAt: unknown
  expiresAt: unknown
  version: unknown
  schemaVersion: unknown
  /** Absent, `null`, an object, or its JSON text. */
  expiry: unknown
  /** Absent, `null` or a string. */
  token: unknown
  /** The owner key (sessions per user): absent, `null` or a string. */
  owner?: unknown
}

/** Why a stored field does not fit, thrown inside `decodeRecord` and kept as the `cause`. */
class UndecodableField extends Error {
  override readonly name = 'UndecodableField'
}

function parsedJson(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch (error) {
    throw new UndecodableField(`${field} is not valid JSON`, { cause: error })
  }
}

/**
 * A number from a driver's number, numeric string or bigint, within JavaScript's safe integers
 * (a larger one has lost its exact value on the way, or was never ours); a whole one where
 * `integer`.
 */
function numberOf(value: unknown, field: string, integer: boolean): number {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint' || (typeof value === 'string' && value.trim() !== '')
        ? Number(value)
        : Number.NaN
  const fits = integer
    ? Number.isSafeInteger(number)
    : Number.isFinite(number) && Math.abs(number) <= Number.MAX_SAFE_INTEGER
  if (!fits) {
    throw new UndecodableField(
      `${field} is ${JSON.stringify(String(value))}, not a number within ±(2^53 - 1)`
    )
  }
  return number
}

/**
 * The `SessionRecord` that `fields` describe, checked field by field, under `key`: the key the
 * store read it at (its Redis key, row, file name), never a key written inside the value, so a
 * value restored or copied under another key is that key's record and its writes stay there.
 * A record that cannot be decoded throws `corruptRecord(key)` (`INVALID_STORED_DATA`), which
 * the engine hands to the definition's `onInvalid` policy: stored data that does not fit is
 * never an outage.
 */
export function decodeRecord(key: string, fields: StoredFields): SessionRecord {
  try {
    const data = parsedJson(fields.data, 'data')
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new UndecodableField('data is not a JSON object')
    }
    const record: SessionRecord = {
      key,
      data: data as JsonObject,
      createdAt: numberOf(fields.createdAt, 'createdAt', false),
      expiresAt: numberOf(fields.expiresAt, 'expiresAt', false),
      version: numberOf(fields.version, 'version', true),
      schemaVersion: numberOf(fields.schemaVersion, 'schemaVersion', true),
    }
    const storedExpiry = parsedJson(fields.expiry, 'expiry')
    if (storedExpiry !== undefined && storedExpiry !== null) {
      const expiry = parseExpiry(storedExpiry)
      if (expiry === undefined) throw new UndecodableField('expiry is not an Expiry')
      record.expiry = expiry
    }
    if (typeof fields.token === 'string') record.token = fields.token
    else if (fields.token !== undefined && fields.token !== null) {
      throw new UndecodableField('token is not a string')
    }
    if (typeof fields.owner === 'string') record.owner = fields.owner
    else if (fields.owner !== undefined && fields.owner !== null) {
      throw new UndecodableField('owner is not a string')
    }
    return record
  } catch (cause) {
    throw corruptRecord(key, cause)
  }
}

/**
 * The records of a batch that decode, for `scan`: a corrupt record is skipped (its session
 * reads as invalid when it is loaded), any other failure is thrown.
 */
export function decodableRecords<T>(
  items: readonly T[],
  decode: (item: T) => SessionRecord
): SessionRecord[] {
  return items.flatMap((item) => {
    try {
      return [decode(item)]
    } catch (error) {
      if (isSessionError(error) && error.code === 'INVALID_STORED_DATA') return []
      throw error
    }
  })
}

/** A `catch` handler: `value` for a record that cannot be decoded, any other failure rethrown. */
export function ifCorrupt<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (isSessionError(error) && error.code === 'INVALID_STORED_DATA') return value
    throw error
  }
}

/**
 * `JSON.stringify(value)`, with its failures (a value nested thousands of levels deep overflows
 * its stack; a bigint or a cycle has no JSON) thrown as `INVALID_VALUE`: retrying cannot help.
 */
export function encodeJson(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch (error) {
    throw unstorableValue(
      'the session data cannot be encoded as JSON (nested too deeply, a cycle, or a value such as a bigint that JSON cannot carry); store plain, shallower data.',
      error
    )
  }
}

import { corruptRecord } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'

// The key-value stores without a schema (Workers KV, Durable Objects, Deno KV) keep a record as
// one JSON string: JSON keeps a `__proto__` data key as an own property, where a structured clone
// of the object would not be guaranteed to.

/** The record as the JSON text a key-value store keeps. */
export function encodeRecord(record: SessionRecord): string {
  return JSON.stringify(record)
}

/**
 * The record in `text`, as `encodeRecord` wrote it. Text that is not such a record throws
 * `corruptRecord(key)`: stored data that does not fit, handled by the definition's `onInvalid`.
 */
export function decodeRecord(key: string, text: string): SessionRecord {
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw corruptRecord(key, error)
  }
  const { data, createdAt, expiresAt, version, schemaVersion, expiry, token } = value
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.key !== 'string' ||
    typeof data !== 'object' ||
    data === null ||
    Array.isArray(data) ||
    typeof createdAt !== 'number' ||
    typeof expiresAt !== 'number' ||
    typeof version !== 'number' ||
    typeof schemaVersion !== 'number' ||
    (token !== undefined && typeof token !== 'string')
  ) {
    throw corruptRecord(key)
  }
  const record: SessionRecord = {
    key: value.key,
    data: data as JsonObject,
    createdAt,
    expiresAt,
    version,
    schemaVersion,
  }
  const parsedExpiry = parseExpiry(expiry)
  if (parsedExpiry !== undefined) record.expiry = parsedExpiry
  if (token !== undefined) record.token = token
  return record
}

import { corruptRecord } from '../core/errors.js'
import type { SessionRecord } from '../core/store.js'
import { decodeRecord as decodeFields } from './stored-record.js'

// The key-value stores without a schema (Workers KV, Durable Objects, Deno KV) keep a record as
// one JSON string: JSON keeps a `__proto__` data key as an own property, where a structured clone
// of the object would not be guaranteed to.

/** The record as the JSON text a key-value store keeps. */
export function encodeRecord(record: SessionRecord): string {
  return JSON.stringify(record)
}

/**
 * The record in `text`, as `encodeRecord` (or a store's own encoder of the same fields) wrote
 * it, under `key`: where the store read it, never a key written inside the text (a value copied
 * under another key is that key's record). Text that is not such a record throws
 * `corruptRecord(key)`: stored data that does not fit, handled by the definition's `onInvalid`.
 */
export function decodeRecordText(key: string, text: string): SessionRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw corruptRecord(key, error)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corruptRecord(key, new Error('the stored value is not a JSON object'))
  }
  const fields = value as Record<string, unknown>
  return decodeFields(key, {
    data: fields['data'],
    createdAt: fields['createdAt'],
    expiresAt: fields['expiresAt'],
    version: fields['version'],
    schemaVersion: fields['schemaVersion'],
    expiry: fields['expiry'],
    token: fields['token'],
    owner: fields['owner'],
  })
}

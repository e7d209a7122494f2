import { unstorableValue } from '../core/errors.js'
import { isOwnerKey } from '../core/owner.js'
import type { SessionRecord } from '../core/store.js'
import { decodeRecordText } from './record-json.js'
import { encodeJson } from './stored-record.js'

// How RedisStore lays a record out in one string value. Its scripts (redis-scripts.ts) read the
// fields at the start of the value with one anchored match, instead of decoding a value of up to
// megabytes with cjson on the server's single thread: the two must agree on that start.

/**
 * A record as the write script takes it. Unbound: `head` is the whole value and `tail` is
 * empty. Bound: the value is `head + entry + tail`, where `entry` is the number of the owner
 * index entry the script gives the record, so the value starts with
 * `{"version":…,"expiresAt":…,"owner":"…","entry":…,` (the owner a 43-character owner key).
 */
export interface EncodedRecord {
  head: string
  tail: string
}

/**
 * The stored value: `version`, `expiresAt` and, when bound, `owner` and `entry` first, at the
 * positions the scripts match; the write token and the expiry (small) before the data (large).
 * A value written before the owner index (no `owner`) reads as an unbound record.
 * @throws SessionError `INVALID_VALUE` for an owner that is not an owner key (`ownerKeyOf`)
 */
export function encodeRecord(record: SessionRecord): EncodedRecord {
  const lead = encodeJson({ version: record.version, expiresAt: record.expiresAt }).slice(0, -1)
  const rest = encodeJson({
    key: record.key,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    expiry: record.expiry,
    token: record.token,
    data: record.data,
  }).slice(1)
  if (record.owner === undefined) return { head: `${lead},${rest}`, tail: '' }
  if (!isOwnerKey(record.owner)) {
    throw unstorableValue(
      `RedisStore binds a record to an owner key, ownerKeyOf(userId) (43 base64url characters); got ${JSON.stringify(record.owner).slice(0, 60)}. Bind sessions with session.bind() or auth.login(), which pass one.`
    )
  }
  return { head: `${lead},"owner":"${record.owner}","entry":`, tail: `,${rest}` }
}

/**
 * The record stored under `key` (its Redis key without the prefix: where it was read, never the
 * key written inside the value), from a value as the driver returns it (a string, or bytes). A
 * value that is not such a record (truncated JSON, a field of the wrong type, a value another
 * program wrote) throws `corruptRecord` (`INVALID_STORED_DATA`).
 */
export function decodeRecordValue(key: string, value: unknown): SessionRecord {
  const text = typeof value === 'string' ? value : new TextDecoder().decode(value as Uint8Array)
  return decodeRecordText(key, text)
}

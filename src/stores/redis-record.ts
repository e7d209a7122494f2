import type { SessionRecord } from '../core/store.js'
import { decodeRecordText } from './record-json.js'
import { encodeJson } from './stored-record.js'

// How RedisStore lays a record out in one string value, and the script that compares and sets
// it: the two must agree on where `version` and `expiresAt` sit.

/*
 * Compare-and-set in one round trip, atomic because Redis runs a script alone. It touches only
 * KEYS[1], so it runs on Redis Cluster. The stored JSON starts with `version` and `expiresAt`
 * (see `encodeRecord`), so the script reads them with one anchored match instead of decoding a value
 * of up to megabytes with cjson on the server's single thread.
 * ARGV: expected version, now (ms), the new value, its PXAT.
 */
export const COMPARE_AND_SET = `local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local version, expiresAt = string.match(current, '^{"version":([^,]+),"expiresAt":([^,]+),')
version, expiresAt = tonumber(version), tonumber(expiresAt)
if version == nil or expiresAt == nil then return 0 end
if version ~= tonumber(ARGV[1]) or expiresAt <= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PXAT', ARGV[4])
return 1`

let compareAndSetSha: Promise<string> | undefined

/** The SHA-1 that `EVALSHA` names the script by, computed once with Web Crypto. */
export function scriptSha(): Promise<string> {
  compareAndSetSha ??= crypto.subtle
    .digest('SHA-1', new TextEncoder().encode(COMPARE_AND_SET))
    .then((digest) =>
      Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
    )
  return compareAndSetSha
}

/**
 * The stored value: `version` and `expiresAt` first, at the position the script matches; the
 * write token and the expiry (small) before the data (large).
 */
export function encodeRecord(record: SessionRecord): string {
  return encodeJson({
    version: record.version,
    expiresAt: record.expiresAt,
    key: record.key,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    expiry: record.expiry,
    token: record.token,
    data: record.data,
  })
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

import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'

/*
 * A CachingStore keeps in its cache, for each record, the time the backing store call that
 * produced the copy started (`fetchedAt`): a copy is served only until `fetchedAt` plus
 * `maxStalenessMs`. The time travels with the copy, inside the cached record, so that instances
 * sharing one cache (a Redis in front of PostgreSQL) share it too. The cached record is a valid
 * record of its own: the original data, expiry time and fetch time in its `data`, and an
 * `expiresAt` no later than the end of its freshness, so the cache itself drops it by then.
 * The record's `owner` travels in the `data` too: a cache with an owner index (a MemoryStore)
 * would otherwise index every cached copy, for nothing, since `listOwner` asks the backing store.
 */

/** The `data` of a cached record. */
interface CacheEntryData extends JsonObject {
  data: JsonObject
  expiresAt: number
  fetchedAt: number
  owner?: string
}

/**
 * What a CachingStore puts in its cache for `record`, read or written by a backing store call
 * that started at `fetchedAt` and served for `maxStalenessMs` from then on.
 */
export function cacheEntryOf(
  record: SessionRecord,
  fetchedAt: number,
  maxStalenessMs: number
): SessionRecord {
  const { owner, ...rest } = record
  const data: CacheEntryData = { data: record.data, expiresAt: record.expiresAt, fetchedAt }
  if (owner !== undefined) data.owner = owner
  return { ...rest, data, expiresAt: Math.min(record.expiresAt, fetchedAt + maxStalenessMs) }
}

/**
 * The record a cache entry holds, or `undefined` when it is stale at `now` (or not an entry of
 * `cacheEntryOf`, e.g. written to the cache by something else).
 */
export function recordOfCacheEntry(
  entry: SessionRecord,
  now: number,
  maxStalenessMs: number
): SessionRecord | undefined {
  const { data, expiresAt, fetchedAt, owner } = entry.data as Partial<CacheEntryData>
  if (typeof fetchedAt !== 'number' || typeof expiresAt !== 'number') return undefined
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined
  if (owner !== undefined && typeof owner !== 'string') return undefined
  if (!(fetchedAt + maxStalenessMs > now)) return undefined
  const record = { ...entry, data, expiresAt }
  if (owner !== undefined) record.owner = owner
  return record
}

import { sha256Base64url } from './crypto.js'
import { toBase64url } from './base64url.js'
import { RecentCache } from './recent-cache.js'

const ID_BYTES = 16
/** Ids drawn per `crypto.getRandomValues` call: a call costs about as much as a SHA-256 of an id. */
const IDS_PER_DRAW = 256
const pool = new Uint8Array(ID_BYTES * IDS_PER_DRAW)
let next = pool.length

/** A new session id: 128 bits from `crypto.getRandomValues`, base64url, 22 characters. */
export function generateSessionId(): string {
  if (next === pool.length) {
    crypto.getRandomValues(pool)
    next = 0
  }
  const start = next
  next += ID_BYTES
  const id = toBase64url(pool, start, next)
  // Each 16 bytes are handed out once; wiping them keeps no copy of a live id in the pool.
  pool.fill(0, start, next)
  return id
}

/** True for a string that has the shape of a session id (22 base64url characters). */
export function isSessionIdShape(id: string): boolean {
  return id.length === 22 && /^[A-Za-z0-9_-]{21}[AQgw]$/.test(id)
}

/** Returning visitors skip a SHA-256 per request: the keys of recent ids are kept. */
const recordKeys = new RecentCache<string>(10_000)

/**
 * The store key of a session id: SHA-256 of the id, base64url. Stores never see the raw id,
 * so a leaked store (or its logs) cannot be replayed as cookies.
 *
 * `fresh` is for an id just drawn by `generateSessionId`: it cannot be cached yet, and most new
 * sessions (bots, one-page visits) never come back, so caching each would cost about as much as
 * the hash. A returning id is cached on its first return instead.
 */
export function recordKeyOf(id: string, fresh = false): string {
  if (fresh) return sha256Base64url(id)
  let key = recordKeys.get(id)
  if (key === undefined) {
    key = sha256Base64url(id)
    // Only verified ids get here, so the cache cannot be filled with chosen input.
    recordKeys.set(id, key)
  }
  return key
}

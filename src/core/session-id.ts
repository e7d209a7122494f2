import { sha256Base64url } from './crypto.js'
import { toBase64url } from './base64url.js'

/** A new session id: 128 bits from `crypto.getRandomValues`, base64url, 22 characters. */
export function generateSessionId(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(16)))
}

/** True for a string that has the shape of a session id (22 base64url characters). */
export function isSessionIdShape(id: string): boolean {
  return id.length === 22 && /^[A-Za-z0-9_-]{21}[AQgw]$/.test(id)
}

/**
 * The store key of a session id: SHA-256 of the id, base64url. Stores never see the raw id,
 * so a leaked store (or its logs) cannot be replayed as cookies.
 */
export function recordKeyOf(id: string): string {
  let key = recordKeys.get(id)
  if (key === undefined) {
    key = sha256Base64url(id)
    // Bounded: drop the oldest entry (Map order) once full. Only verified or fresh ids get here.
    if (recordKeys.size >= RECORD_KEY_CACHE) recordKeys.delete(recordKeys.keys().next().value!)
    recordKeys.set(id, key)
  }
  return key
}

/** Returning visitors skip a SHA-256 per request: the keys of recent ids are kept. */
const RECORD_KEY_CACHE = 10_000
const recordKeys = new Map<string, string>()

import { sha256Base64url } from '../cookie/crypto.js'
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
  return sha256Base64url(id)
}

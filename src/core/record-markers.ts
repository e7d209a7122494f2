import { toBase64url } from './base64url.js'
import { parseExpiry } from './expiry.js'
import type { SessionRecord } from './store.js'

/*
 * Write tokens and markers. Every save writes a fresh token into its record; after a
 * compare-and-set that answered false (or whose reply was lost and the driver retried), the
 * engine reloads the record and knows its own write by the token, so it never replays a
 * request's changes on top of themselves (DESIGN.md §8).
 *
 * Markers are records that hold no session, told apart by their token:
 * - `moved:<new record key>`: `cycleId` moved the session to a new id. Written twice: in place of
 *   the old record (by the compare-and-set that moves it, then deleted), and for
 *   `MARKER_LIFETIME_MS` under `movedMarkerKey(old key)`, where requests still holding the old
 *   cookie find it once the old record is gone. Such a request drops its writes and leaves the
 *   cookie alone: the browser has, or is about to get, the new one. A logout that finds it
 *   follows it and ends the new record too, so a logout racing a login still wins. The key named
 *   is a SHA-256 record key, not a usable session id.
 * - `flushed`: a logout is ending the record (a compare-and-set to this marker, then a delete).
 *   Read as gone.
 */

const MOVED = 'moved:'
const FLUSHED = 'flushed'

/** How long the marker of a moved session answers racing requests; then it expires. */
export const MARKER_LIFETIME_MS = 60_000

/** Where the marker of a session moved away from `key` is kept (no record key contains a dot). */
export function movedMarkerKey(key: string): string {
  return `${key}.moved`
}

// Unique per process (64 random bits) and per save (a counter): no random draw per save. Drawn
// on first use: Cloudflare Workers refuse random values at module load, outside a handler.
let tokenPrefix: string | undefined
let tokenCounter = 0
/** The prefix's length: 8 bytes in base64url. */
const PREFIX_LENGTH = 11
/** The most base-36 digits a counter is read from: 36^10 is under 2^53, so it stays exact. */
const MAX_COUNTER_DIGITS = 10

/** A token no other save, in this process or another, writes. */
export function writeToken(): string {
  tokenPrefix ??= toBase64url(crypto.getRandomValues(new Uint8Array(8)))
  return `${tokenPrefix}${(++tokenCounter).toString(36)}`
}

/**
 * The counter of a token this process's `writeToken` made, as a number, or undefined for any
 * other token (a marker, another process's, one a test wrote): an in-process store keeps the
 * number instead of the string, one string fewer per session for the collector to mark, and
 * `ownToken(counter)` gives the very same string back. Within one process the counter alone is
 * unique (it only grows; 2^53 saves are never reached); the random prefix, which is what makes
 * the token unique across processes, is the same for all of them and kept once.
 */
export function ownTokenCounter(token: string | undefined): number | undefined {
  const prefix = tokenPrefix
  if (token === undefined || prefix === undefined || !token.startsWith(prefix)) return undefined
  const digits = token.length - PREFIX_LENGTH
  if (digits < 1 || digits > MAX_COUNTER_DIGITS || token.charCodeAt(PREFIX_LENGTH) === 48) {
    return undefined // no digits, too many, or a leading zero, which toString(36) never writes
  }
  let counter = 0
  for (let i = PREFIX_LENGTH; i < token.length; i++) {
    const code = token.charCodeAt(i)
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 122 ? code - 87 : -1
    if (digit < 0) return undefined
    counter = counter * 36 + digit
  }
  return counter
}

/** The token `writeToken` made with `counter` (from `ownTokenCounter`). */
export function ownToken(counter: number): string {
  return `${tokenPrefix!}${counter.toString(36)}`
}

/** What a record key holds, as far as a session is concerned. */
export type RecordState =
  | { readonly kind: 'live'; readonly record: SessionRecord }
  | { readonly kind: 'gone' }
  | { readonly kind: 'moved'; readonly to: string }

export const GONE: RecordState = Object.freeze({ kind: 'gone' })

/** True for a record `stateOf` reads as live (without building its state). */
export function isLiveRecord(record: SessionRecord): boolean {
  const token = record.token
  return token === undefined || (token !== FLUSHED && !token.startsWith(MOVED))
}

/** Reads a loaded record (`undefined` or `null`: there is none) as a `RecordState`. */
export function stateOf(record: SessionRecord | null | undefined): RecordState {
  if (record === undefined || record === null) return GONE
  const token = record.token
  if (token === undefined) return { kind: 'live', record }
  if (token.startsWith(MOVED)) return { kind: 'moved', to: token.slice(MOVED.length) }
  if (token === FLUSHED) return GONE
  return { kind: 'live', record }
}

/** The marker that replaces a record at `version`: moved to `movedTo`, or being flushed. */
export function markerRecord(
  key: string,
  version: number,
  schemaVersion: number,
  now: number,
  movedTo?: string
): SessionRecord {
  return {
    key,
    data: {},
    createdAt: now,
    expiresAt: now + MARKER_LIFETIME_MS,
    version,
    schemaVersion,
    token: movedTo === undefined ? FLUSHED : MOVED + movedTo,
  }
}

/**
 * True when a custom store returned something shaped like a record (an `expiry` included, when
 * it holds one). Anything else is stored data that does not fit, handled by the invalid-data
 * policy rather than crashing the request.
 */
export function isRecordShape(record: SessionRecord): boolean {
  const { data } = record as { data: unknown }
  return (
    typeof data === 'object' &&
    data !== null &&
    !Array.isArray(data) &&
    Number.isFinite(record.createdAt) &&
    Number.isFinite(record.expiresAt) &&
    Number.isSafeInteger(record.version) &&
    Number.isSafeInteger(record.schemaVersion) &&
    (record.token === undefined || typeof record.token === 'string') &&
    (record.owner === undefined || typeof record.owner === 'string') &&
    (record.expiry == null || parseExpiry(record.expiry) !== undefined)
  )
}

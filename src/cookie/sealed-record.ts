import { fromBase64url, toBase64url } from '../core/base64url.js'
import {
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  deriveAeadKey,
  openAead,
  sealAead,
} from '../core/crypto.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'
import { checkSecretRing } from './secret.js'

/**
 * The most bytes of `name=value` a browser keeps for one cookie (RFC 6265 §6.1 asks for at least
 * 4096; Chrome and Firefox stop there).
 */
export const COOKIE_SIZE_LIMIT = 4096

// Its own HKDF label: the sealing key is unrelated to the signing key derived from one secret.
const KEY_LABEL = 'typed-sessions cookie store v1'
const FORMAT = 1
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** A sealed record that opened: the record, and whether an older key of the ring opened it. */
export interface OpenedRecord {
  readonly record: SessionRecord
  /** Index in the secret ring of the key that opened it: 0 is the current key. */
  readonly keyIndex: number
  /** True when an older key opened it: re-seal with `seal` to move it to the current key. */
  readonly rotated: boolean
}

/** What `seal` adds to the record. */
export interface SealOptions {
  /**
   * Epoch milliseconds after which the record never opens, whatever its `expiresAt` says: the
   * session's absolute timeout (`createdAt + absoluteTimeout`).
   */
  absoluteExpiresAt?: number | undefined
}

/** The sealed payload: short field names, because every byte travels in every request. */
interface Payload {
  f: number
  k: string
  d: JsonObject
  c: number
  e: number
  v: number
  s: number
  x?: unknown
  t?: string
  a?: number
}

/**
 * Seals a whole `SessionRecord` into a cookie value with XChaCha20-Poly1305, and opens it again.
 * The key comes from each secret of the ring by HKDF under its own label; the cookie name is
 * authenticated with the box, so a value sealed for one cookie does not open as another. The
 * expiry and the absolute timeout travel inside the box and are checked against the server's
 * clock on every open: a client cannot extend them.
 * @example
 * const sealer = new RecordSealer([process.env.SESSION_SECRET!], 'id')
 * const value = sealer.seal(record, { absoluteExpiresAt: record.createdAt + 86_400_000 })
 * if (cookieSize('id', value) > COOKIE_SIZE_LIMIT) refuse()
 * sealer.open(value)?.record // the record, or undefined for a forged, stale or foreign value
 */
export class RecordSealer {
  readonly #keys: readonly Uint8Array[]
  readonly #associatedData: Uint8Array

  /**
   * @param secret - a secret of at least 32 characters, or `[current, ...previous]` for rotation
   * @param cookieName - the name of the cookie the values travel in
   * @throws SessionError `CONFIG` when the secret is missing or weak, as the signed cookies do
   */
  constructor(secret: string | readonly string[], cookieName: string) {
    this.#keys = checkSecretRing(secret).map((s) => deriveAeadKey(s, KEY_LABEL))
    this.#associatedData = encoder.encode(`typed-sessions sealed record v${FORMAT}\0${cookieName}`)
  }

  /**
   * The record sealed under the current key, as unpadded base64url (cookie-safe). Each call
   * draws a fresh nonce, so sealing the same record twice gives two different values.
   */
  seal(record: SessionRecord, options: SealOptions = {}): string {
    return toBase64url(sealAead(this.#keys[0]!, plaintextOf(record, options), this.#associatedData))
  }

  /**
   * The exact length of the value `seal(record, options)` returns, without sealing: a size check
   * before the save costs one JSON serialization, not a second encryption.
   */
  sealedLength(record: SessionRecord, options: SealOptions = {}): number {
    const boxLength = AEAD_NONCE_LENGTH + plaintextOf(record, options).length + AEAD_TAG_LENGTH
    // Unpadded base64url: 4 characters per 3 bytes, and 2 or 3 for a last partial group.
    return Math.ceil((boxLength * 4) / 3)
  }

  /**
   * The record in `value`, or `undefined` when the value is malformed, truncated, tampered with,
   * sealed under a key not in the ring or for another cookie name, or expired at `now` (its
   * `expiresAt` or its absolute timeout passed).
   */
  open(value: string, now: number = Date.now()): OpenedRecord | undefined {
    const box = fromBase64url(value)
    if (box === undefined) return undefined
    for (let keyIndex = 0; keyIndex < this.#keys.length; keyIndex++) {
      const plaintext = openAead(this.#keys[keyIndex]!, box, this.#associatedData)
      if (plaintext === undefined) continue
      const record = recordOf(plaintext, now)
      return record === undefined ? undefined : { record, keyIndex, rotated: keyIndex > 0 }
    }
    return undefined
  }
}

/** The JSON bytes of the sealed payload of `record`. */
function plaintextOf(record: SessionRecord, options: SealOptions): Uint8Array {
  const payload: Payload = {
    f: FORMAT,
    k: record.key,
    d: record.data,
    c: record.createdAt,
    e: record.expiresAt,
    v: record.version,
    s: record.schemaVersion,
  }
  if (record.expiry !== undefined) payload.x = record.expiry
  if (record.token !== undefined) payload.t = record.token
  if (options.absoluteExpiresAt !== undefined) payload.a = options.absoluteExpiresAt
  return encoder.encode(JSON.stringify(payload))
}

/** Bytes a browser counts for the cookie `name=value` (both are ASCII here). */
export function cookieSize(name: string, value: string): number {
  return encoder.encode(name).length + 1 + encoder.encode(value).length
}

/** The record of an authenticated payload, unless it has expired or is not of our format. */
function recordOf(plaintext: Uint8Array, now: number): SessionRecord | undefined {
  let payload: Payload
  try {
    payload = JSON.parse(decoder.decode(plaintext)) as Payload
  } catch {
    return undefined
  }
  // Authenticated, so written by us; a format check still guards against a future layout.
  if (payload.f !== FORMAT || typeof payload.e !== 'number') return undefined
  if (now >= payload.e || (payload.a !== undefined && now >= payload.a)) return undefined
  const record: SessionRecord = {
    key: payload.k,
    data: payload.d,
    createdAt: payload.c,
    expiresAt: payload.e,
    version: payload.v,
    schemaVersion: payload.s,
  }
  const expiry = parseExpiry(payload.x)
  if (expiry !== undefined) record.expiry = expiry
  if (payload.t !== undefined) record.token = payload.t
  return record
}

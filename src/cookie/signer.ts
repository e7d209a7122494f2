import { fromBase64url, toBase64url } from '../core/base64url.js'
import { SessionError } from '../core/errors.js'
import { RecentCache } from '../core/recent-cache.js'
import { isSessionIdShape } from '../core/session-id.js'
import { constantTimeEqual } from './constant-time.js'
import { checkSecretRing } from './secret.js'
import { createHmacSha256, hkdfSha256, type KeyedHmacSha256 } from '../core/crypto.js'

const ID_LENGTH = 22
const TAG_LENGTH = 43 // 32 bytes of HMAC-SHA256, unpadded base64url
const VALUE_LENGTH = ID_LENGTH + 1 + TAG_LENGTH
const DOT = 0x2e
const DEFAULT_CACHE_SIZE = 10_000

const encoder = new TextEncoder()
// Domain separation: keys derived here are useless for any other purpose or library version.
const KEY_SALT = encoder.encode('typed-sessions cookie signing v1')

/** A cookie value whose signature checked out. */
export interface VerifiedCookie {
  /** The session id carried by the cookie. */
  readonly id: string
  /** The cookie value, re-signed with the current key when it was verified with an older one. */
  readonly value: string
  /** True when an older key verified the value: the cookie should be re-issued with `value`. */
  readonly rotated: boolean
}

/** Tuning of a {@link CookieSigner}. */
export interface CookieSignerOptions {
  /**
   * How many verified values to remember, so a returning cookie costs a map lookup instead of
   * an HMAC. `0` disables the cache. (Signing is not cached: a new session's value is signed
   * once, and the middleware re-sends a returning visitor's verified value as it is.)
   * @default 10000
   */
  cacheSize?: number | undefined
}

/**
 * Signs session ids into cookie values `${id}.${tag}` and verifies them, where `tag` is the
 * base64url HMAC-SHA256 of `${cookieName}=${id}` under a key derived (HKDF-SHA256) from the
 * secret and the cookie name. Binding the name means a value signed for one cookie is rejected
 * as another.
 * @example
 * const signer = new CookieSigner(process.env.SESSION_SECRET, 'id')
 * const value = signer.sign(generateSessionId())
 * signer.verify(value) // { id, value, rotated: false }
 */
export class CookieSigner {
  /** One keyed MAC per secret, the current one first. */
  readonly #macs: readonly KeyedHmacSha256[]
  readonly #verified: RecentCache<VerifiedCookie>
  // Scratch buffers: verify and sign are synchronous, so one set per signer is never shared.
  readonly #idBytes = new Uint8Array(ID_LENGTH)
  readonly #expected = new Uint8Array(32)

  /**
   * @param secret - a secret of at least 32 characters, or `[current, ...previous]` for rotation
   * @param cookieName - the name of the cookie the values travel in
   * @throws SessionError `CONFIG` when the secret is missing, empty, short or not a string
   */
  constructor(
    secret: string | readonly string[] | undefined,
    cookieName: string,
    options: CookieSignerOptions = {}
  ) {
    if (typeof cookieName !== 'string' || cookieName === '') {
      throw new SessionError('CONFIG', 'The cookie name must be a non-empty string, e.g. "id".')
    }
    const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new SessionError(
        'CONFIG',
        '`cacheSize` must be a non-negative integer (0 disables the cache).'
      )
    }
    this.#verified = new RecentCache(cacheSize)
    const name = encoder.encode(cookieName)
    const prefix = encoder.encode(`${cookieName}=`)
    this.#macs = checkSecretRing(secret).map((text) =>
      createHmacSha256(hkdfSha256(encoder.encode(text), KEY_SALT, name, 32), prefix)
    )
  }

  /**
   * The cookie value for a session id, signed with the current key.
   * @throws SessionError `INVALID_VALUE` when `id` is not a session id (22 base64url characters)
   */
  sign(id: string): string {
    if (typeof id !== 'string' || !isSessionIdShape(id)) {
      // A value with another shape would never verify: fail loudly instead of losing sessions.
      throw new SessionError(
        'INVALID_VALUE',
        'CookieSigner.sign expects a session id from generateSessionId() (22 base64url characters).'
      )
    }
    return `${id}.${toBase64url(this.#tag(0, id))}`
  }

  /**
   * Checks a cookie value against every key of the ring. Returns `undefined` for anything
   * malformed, tampered, signed for another cookie name or with an unknown key; never throws.
   */
  verify(value: string): VerifiedCookie | undefined {
    // The exact length is checked first, so oversized input costs nothing.
    if (typeof value !== 'string' || value.length !== VALUE_LENGTH) return undefined
    // Safe to trust a hit: only values that passed the HMAC are stored, and a hit needs the
    // exact same string, 256-bit tag included, which no one can produce without the key. Misses
    // are never stored, so attacker-chosen input cannot fill or poison the cache.
    const cached = this.#verified.get(value)
    if (cached !== undefined) return cached
    if (value.charCodeAt(ID_LENGTH) !== DOT) return undefined
    const id = value.slice(0, ID_LENGTH)
    if (!isSessionIdShape(id)) return undefined
    // fromBase64url rejects padding, '+' '/', non-ASCII and non-zero trailing bits, so each tag
    // has exactly one accepted spelling.
    const tag = fromBase64url(value.slice(ID_LENGTH + 1))
    if (tag === undefined || tag.length !== 32) return undefined
    // Each comparison is constant-time. The loop stops at the first key that matches: that
    // only reveals which key signed a cookie that was valid anyway (and the re-issue says so),
    // while every rejected value costs the same, one MAC per key.
    for (let index = 0; index < this.#macs.length; index++) {
      if (!constantTimeEqual(this.#tag(index, id), tag)) continue
      const rotated = index > 0
      const verified: VerifiedCookie = Object.freeze({
        id,
        value: rotated ? this.sign(id) : value,
        rotated,
      })
      this.#verified.set(value, verified)
      return verified
    }
    return undefined
  }

  /** The raw tag of `id` under key `index`, in the shared scratch buffer. */
  #tag(index: number, id: string): Uint8Array {
    const bytes = this.#idBytes
    // Ids are ASCII (checked by the callers), so char codes are their UTF-8 bytes.
    for (let i = 0; i < ID_LENGTH; i++) bytes[i] = id.charCodeAt(i)
    return this.#macs[index]!(bytes, this.#expected)
  }
}

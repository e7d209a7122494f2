import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { toBase64url } from './base64url.js'

// The only module that imports the noble packages (DESIGN.md §1): the record keys, the cookie
// signer and the cookie store all go through here.

const encoder = new TextEncoder()

// A fresh SHA-256 state, copied into one scratch instance per call (as the HMAC below does), and
// scratch buffers for the text and the digest: a record key then allocates only its string.
const sha256Initial = sha256.create()
const sha256Scratch = sha256Initial.clone()
const textScratch = new Uint8Array(256)
const digestScratch = new Uint8Array(32)

/** SHA-256 of the UTF-8 bytes of `text`, as unpadded base64url (43 characters). */
export function sha256Base64url(text: string): string {
  sha256Initial._cloneInto(sha256Scratch)
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short text always fits the scratch buffer.
  if (text.length * 3 <= textScratch.length) {
    const { written } = encoder.encodeInto(text, textScratch)
    sha256Scratch.update(textScratch.subarray(0, written))
  } else {
    sha256Scratch.update(encoder.encode(text))
  }
  sha256Scratch.digestInto(digestScratch)
  return toBase64url(digestScratch)
}

/**
 * HKDF-SHA256 (RFC 5869, extract then expand): `length` bytes of keying material derived from
 * `ikm`, separated by `salt` and `info`.
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number
): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length)
}

/**
 * A keyed HMAC-SHA256: `mac(message, out)` writes HMAC(key, prefix ‖ message) into `out`
 * (32 bytes) and returns it. It reuses one internal state, safe because each call is synchronous.
 */
export type KeyedHmacSha256 = (message: Uint8Array, out: Uint8Array) => Uint8Array

/**
 * Prepares HMAC-SHA256 under `key` for many short messages that all start with `prefix`.
 * @example
 * const mac = createHmacSha256(key, new TextEncoder().encode('id='))
 * const tag = mac(idBytes, new Uint8Array(32))
 */
export function createHmacSha256(key: Uint8Array, prefix?: Uint8Array): KeyedHmacSha256 {
  // The key pads (and the prefix) are absorbed once; each message then restores that state into
  // one reused scratch instance, so a tag costs three SHA-256 compressions and no allocation.
  const prepared = hmac.create(sha256, key)
  if (prefix !== undefined) prepared.update(prefix)
  const scratch = prepared.clone()
  return (message, out) => {
    prepared._cloneInto(scratch)
    scratch.update(message)
    scratch.digestInto(out)
    return out
  }
}

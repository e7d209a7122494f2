import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
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
/** The views of `textScratch` by length, made once each (a session id is always 22). */
const textViews: Uint8Array[] = []

/** Writes ASCII `text` into `out` and returns its length; undefined (for UTF-8) if it is not. */
function asciiInto(text: string, out: Uint8Array): number | undefined {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0x80) return undefined
    out[i] = code
  }
  return text.length
}

/** SHA-256 of the UTF-8 bytes of `text`, as unpadded base64url (43 characters). */
export function sha256Base64url(text: string): string {
  sha256Initial._cloneInto(sha256Scratch)
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short text always fits the scratch buffer.
  if (text.length * 3 <= textScratch.length) {
    const written = asciiInto(text, textScratch) ?? encoder.encodeInto(text, textScratch).written
    sha256Scratch.update((textViews[written] ??= textScratch.subarray(0, written)))
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

// --- AEAD for the cookie store (DESIGN.md §9) ---
// XChaCha20-Poly1305: its 192-bit nonce can be drawn at random for every seal with no realistic
// chance of reuse, so no counter has to be kept across isolates and restarts (AES-GCM's 96-bit
// nonce cannot promise that past ~2^32 seals under one key).

/** Bytes of an AEAD key. */
export const AEAD_KEY_LENGTH = 32
/** Bytes of the random nonce that starts every sealed box. */
export const AEAD_NONCE_LENGTH = 24
/** Bytes of the Poly1305 tag that ends every sealed box. */
export const AEAD_TAG_LENGTH = 16

/**
 * An XChaCha20-Poly1305 key derived from `secret` by HKDF-SHA256 under `label`. A distinct label
 * per use keeps a key for sealing cookies unrelated to the key that signs them, though both come
 * from one secret.
 * @example const key = deriveAeadKey(process.env.SESSION_SECRET!, 'typed-sessions cookie store v1')
 */
export function deriveAeadKey(secret: string, label: string): Uint8Array {
  return hkdf(sha256, encoder.encode(secret), undefined, encoder.encode(label), AEAD_KEY_LENGTH)
}

/**
 * Encrypts and authenticates `plaintext` under `key`, also authenticating (not encrypting)
 * `associatedData`. Returns `nonce ‖ ciphertext ‖ tag`, `plaintext.length + 40` bytes.
 * @example const box = sealAead(key, new TextEncoder().encode('{"n":1}'), cookieNameBytes)
 */
export function sealAead(
  key: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array
): Uint8Array {
  checkAeadKey(key)
  const nonce = crypto.getRandomValues(new Uint8Array(AEAD_NONCE_LENGTH))
  const ciphertext = xchacha20poly1305(key, nonce, associatedData).encrypt(plaintext)
  const box = new Uint8Array(AEAD_NONCE_LENGTH + ciphertext.length)
  box.set(nonce)
  box.set(ciphertext, AEAD_NONCE_LENGTH)
  return box
}

/**
 * The plaintext of a box made by `sealAead` with the same key and associated data, or
 * `undefined` when anything differs: a flipped bit, a truncation, another key, other associated
 * data. Never throws on a bad box: to a caller, a forged cookie is simply no cookie.
 */
export function openAead(
  key: Uint8Array,
  box: Uint8Array,
  associatedData: Uint8Array
): Uint8Array | undefined {
  checkAeadKey(key)
  if (box.length < AEAD_NONCE_LENGTH + AEAD_TAG_LENGTH) return undefined
  const nonce = box.subarray(0, AEAD_NONCE_LENGTH)
  try {
    return xchacha20poly1305(key, nonce, associatedData).decrypt(box.subarray(AEAD_NONCE_LENGTH))
  } catch {
    // noble throws on a tag mismatch; the tag comparison itself is constant-time inside noble.
    return undefined
  }
}

function checkAeadKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== AEAD_KEY_LENGTH) {
    throw new TypeError(`key must be a Uint8Array of ${AEAD_KEY_LENGTH} bytes (see deriveAeadKey)`)
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** The alphabet's character codes, so the encoder writes numbers and builds one string at the end. */
const CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0))

/**
 * Base64url without padding (RFC 4648 §5), as cookie values and record keys use it, of
 * `bytes` from `start` to `end` (the whole array by default).
 *
 * The characters are collected as codes and turned into a string by one `String.fromCharCode`
 * call, which yields a flat string. Appending piece by piece (`out += …`) would build a rope of
 * concatenations, which a Map keeps as it is: about 480 bytes for a 43-character record key
 * instead of 64, and slower to build.
 */
export function toBase64url(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const count = Math.ceil(((end - start) * 4) / 3)
  // Ids, record keys and tags reuse one array of codes per length: only their string is new.
  const codes: number[] =
    count <= SCRATCH_LIMIT
      ? (scratch[count] ??= new Array<number>(count).fill(0))
      : new Array<number>(count)
  let i = start
  let o = 0
  for (; i + 2 < end; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    codes[o++] = CODES[n >>> 18]!
    codes[o++] = CODES[(n >>> 12) & 63]!
    codes[o++] = CODES[(n >>> 6) & 63]!
    codes[o++] = CODES[n & 63]!
  }
  const rest = end - i
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0)
    codes[o++] = CODES[n >>> 18]!
    codes[o++] = CODES[(n >>> 12) & 63]!
    if (rest === 2) codes[o] = CODES[(n >>> 6) & 63]!
  }
  // Long inputs are chunked: `apply` passes every code as an argument, and engines cap those.
  if (codes.length <= APPLY_CHUNK) return String.fromCharCode.apply(null, codes)
  let out = ''
  for (let at = 0; at < codes.length; at += APPLY_CHUNK) {
    out += String.fromCharCode.apply(null, codes.slice(at, at + APPLY_CHUNK))
  }
  return out
}

/** Outputs up to this many characters reuse `scratch`: every code of it is written each time. */
const SCRATCH_LIMIT = 128
const scratch: number[][] = []

/** Codes per `String.fromCharCode` call, well under every engine's argument limit. */
const APPLY_CHUNK = 8192

const LOOKUP = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

/**
 * Decodes unpadded base64url. Returns `undefined` for anything that is not its canonical
 * encoding (padding, other alphabets, non-zero trailing bits), so one byte string has one text.
 */
export function fromBase64url(text: string): Uint8Array | undefined {
  const length = text.length
  if (length % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((length * 3) / 4))
  let bits = 0
  let buffer = 0
  let o = 0
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i)
    const value = code < 128 ? LOOKUP[code]! : -1
    if (value < 0) return undefined
    buffer = (buffer << 6) | value
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (buffer >>> bits) & 0xff
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined
  return out
}

// How UnstorageStore names its items: a record key as one key segment, and back. unstorage
// splits keys on `:` (and turns `/` into `:`), so only plain keys are stored as they are.

/** Record keys stored as they are; any other is hex-encoded behind `~`. */
const PLAIN_KEY = /^[A-Za-z0-9_-]{1,200}$/
const HEX_KEY = /^~(?:[0-9a-f]{2})+$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The key segment of a record key: the key itself if plain, else `~` and its UTF-8 in hex. */
export function storageKeyOf(key: string): string {
  if (PLAIN_KEY.test(key)) return key
  const bytes = new TextEncoder().encode(key)
  return `~${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/**
 * The record key whose segment `storageKeyOf` made `segment`, or `undefined` for a segment it
 * never makes (an item of another program, a nested prefix).
 */
export function recordKeyOf(segment: string): string | undefined {
  if (PLAIN_KEY.test(segment)) return segment
  if (!HEX_KEY.test(segment)) return undefined
  const bytes = Uint8Array.from(segment.slice(1).match(/../g) ?? [], (pair) =>
    Number.parseInt(pair, 16)
  )
  let key: string
  try {
    key = utf8.decode(bytes)
  } catch {
    return undefined
  }
  return storageKeyOf(key) === segment ? key : undefined
}

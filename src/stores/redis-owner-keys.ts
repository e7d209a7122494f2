import { SessionError } from '../core/errors.js'

/*
 * Where RedisStore keeps its owner index (sessions per user, DESIGN.md §12). All of it lives
 * under the store's prefix, beside the records, as `<prefix>owner:<owner key>…`: record keys are
 * base64url hashes, so none of them starts with `owner:`.
 *
 * An owner's entries form groups. Each group is a hash, its header (`n`: how many entry slots it
 * has used), and one string key per entry, `<group>:<j>`, holding the record key, with the
 * record's own expiry: Redis removes an expired record's entry itself, at the same instant. On a
 * single server an owner has one group. On Redis Cluster a record's entry goes into the group of
 * its owner in the record's own slot (the group's name carries a hash tag of that slot), so that
 * one script writes the record and its entry atomically without changing the record's key; the
 * owner's directory (`<prefix>owner:<owner key>:groups`) lists the slots it has groups in.
 */

/** What every key of the owner index starts with, after the store's prefix. */
const OWNER_SEGMENT = 'owner:'
const SLOTS = 16_384

/** True for a key of the owner index under `prefix` (`scan` skips them). */
export function isOwnerIndexKey(prefix: string, redisKey: string): boolean {
  return redisKey.startsWith(prefix + OWNER_SEGMENT)
}

/** The group names of an owner: `${head}${owner}${suffix}`. */
export function groupHead(prefix: string): string {
  return prefix + OWNER_SEGMENT
}

/** The header of an owner's group with this suffix (`''` on a single server). */
export function groupKey(prefix: string, owner: string, suffix: string): string {
  return `${groupHead(prefix)}${owner}${suffix}`
}

/** The key of entry `j` of a group. */
export function entryKey(group: string, j: number): string {
  return `${group}:${j}`
}

/** The directory of an owner's groups on Redis Cluster: a sorted set of slot tags. */
export function directoryKey(prefix: string, owner: string): string {
  return `${groupHead(prefix)}${owner}:groups`
}

/** The suffix of the groups in the slot of this tag. */
export function groupSuffixOfTag(tag: string): string {
  return `:{${tag}}`
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : crc << 1
    table[byte] = crc & 0xffff
  }
  return table
})()

/** CRC-16/XMODEM, the hash Redis Cluster maps keys to slots with. */
function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!
  }
  return crc
}

/**
 * The Redis Cluster slot of a key: CRC16 of its hash tag (what is between its first `{` and
 * the first `}` after it, when that is not empty), else of the whole key, modulo 16384.
 */
export function clusterSlot(key: string): number {
  const bytes = new TextEncoder().encode(key)
  const open = bytes.indexOf(0x7b)
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) return crc16(bytes, open + 1, close) % SLOTS
  }
  return crc16(bytes) % SLOTS
}

let slotTags: string[] | undefined

/**
 * A short hash tag for each slot (the first base-36 number that hashes to it): ~90,000 CRCs,
 * a few milliseconds, once per process and only on a cluster.
 */
export function slotTag(slot: number): string {
  if (slotTags === undefined) {
    const tags = new Array<string>(SLOTS)
    const encoder = new TextEncoder()
    for (let n = 0, found = 0; found < SLOTS; n++) {
      const tag = n.toString(36)
      const hashed = crc16(encoder.encode(tag)) % SLOTS
      if (tags[hashed] === undefined) {
        tags[hashed] = tag
        found++
      }
    }
    slotTags = tags
  }
  return slotTags[slot]!
}

/**
 * Refuses, on Redis Cluster, a prefix whose `{` opens no complete hash tag within it: the
 * group of a record's owner would not hash to the record's slot. A prefix without braces, or
 * with a whole tag (`'{sessions}:'`, which puts every key of the store in one slot), works.
 */
export function checkClusterPrefix(prefix: string): void {
  const open = prefix.indexOf('{')
  if (open === -1) return
  const close = prefix.indexOf('}', open + 1)
  if (close > open + 1) return
  throw new SessionError(
    'CONFIG',
    `RedisStore options.prefix ${JSON.stringify(prefix)} has a '{' that opens no hash tag within it, so on Redis Cluster the owner index could not sit in its records' slots. Use a prefix without braces, or with a whole tag such as '{sessions}:'.`
  )
}

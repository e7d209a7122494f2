import { toBase64url } from '../core/base64url.js'

/** Bytes of a record key the table holds: a SHA-256. */
const KEY_BYTES = 32
/** The same in 32-bit words, the unit the table compares keys in. */
const KEY_WORDS = KEY_BYTES / 4
/** Characters of a SHA-256 in unpadded base64url, the shape of every key the engine writes. */
const KEY_LENGTH = 43

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Character code → its 6-bit value, or -1 for a character outside base64url. */
const LOOKUP = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

/**
 * Decodes the KEY_LENGTH characters of `key` into `out` (KEY_BYTES) if they are the canonical
 * base64url of 32 bytes; false otherwise (`out` then holds a part of them).
 */
function decodeKey(key: string, out: Uint8Array): boolean {
  let o = 0
  // Ten groups of four characters make 30 bytes; the last three make 2 bytes and 2 zero bits.
  for (let i = 0; i < 40; i += 4) {
    const bits =
      (valueAt(key, i) << 18) |
      (valueAt(key, i + 1) << 12) |
      (valueAt(key, i + 2) << 6) |
      valueAt(key, i + 3)
    if (bits < 0) return false
    out[o++] = bits >>> 16
    out[o++] = (bits >>> 8) & 0xff
    out[o++] = bits & 0xff
  }
  const a = valueAt(key, 40)
  const b = valueAt(key, 41)
  const c = valueAt(key, 42)
  if ((a | b | c) < 0 || (c & 3) !== 0) return false
  out[o++] = (a << 2) | (b >>> 4)
  out[o] = ((b & 15) << 4) | (c >>> 2)
  return true
}

/** The 6-bit value of the character at `i` of `key`, or -1 outside base64url. */
function valueAt(key: string, i: number): number {
  const code = key.charCodeAt(i)
  return code < 128 ? LOOKUP[code]! : -1
}

/**
 * The `MemoryStore`'s record key → slot index. The keys the engine writes (base64url of a
 * SHA-256) are held as their 32 bytes in one typed-array column, by slot, and found through an
 * open-addressing hash table of slot numbers in another, so a record costs the collector no key
 * string and no Map entry: at a million records, a million strings fewer to mark, and no Map to
 * rehash. The table is sized once for every slot at a load of at most one half, so it never
 * grows; linear probing, and deletion by shifting the entries after the hole back (no
 * tombstones, so a lookup never walks a trail of deleted entries). Keys of any other shape (a
 * marker's, one a test or a tool wrote) go to a side Map, nearly always empty.
 */
export class KeyTable {
  readonly #capacity: number
  /** Slot → its key's bytes (KEY_BYTES a slot); the same memory as `#words`. */
  #bytes: Uint8Array<ArrayBuffer>
  #words: Int32Array<ArrayBuffer>
  /** The hash table: slot + 1 at each position, 0 where empty. */
  #table: Int32Array<ArrayBuffer>
  readonly #mask: number
  /** Shifts a mixed 32-bit hash down to a table position. */
  readonly #shift: number
  /**
   * Mixed into the hash: the keys are digests, uniform in their bits, but a per-store seed also
   * keeps anyone who picks keys (a tool writing its own) from aiming them at one position.
   */
  readonly #seed = (Math.random() * 2 ** 32) | 0
  /** The key being looked up or added, decoded (same memory as `#scratchWords`). */
  readonly #scratch = new Uint8Array(KEY_BYTES)
  readonly #scratchWords = new Int32Array(this.#scratch.buffer)
  /** The key `#scratch` holds decoded, if any. */
  #scratchKey: string | undefined
  #tableSize = 0
  /** The keys of another shape: key → slot, and slot → key. */
  readonly #foreign = new Map<string, number>()
  readonly #foreignBySlot = new Map<number, string>()

  /** `capacity`: the most keys (and the most slots, `0 .. capacity - 1`) the table holds. */
  constructor(capacity: number) {
    this.#capacity = capacity
    let bits = 1
    while (2 ** bits < 2 * capacity) bits++
    this.#mask = 2 ** bits - 1
    this.#shift = 32 - bits
    this.#bytes = new Uint8Array(capacity * KEY_BYTES)
    this.#words = new Int32Array(this.#bytes.buffer)
    this.#table = new Int32Array(2 ** bits)
  }

  /** How many keys the table holds. */
  get size(): number {
    return this.#tableSize + this.#foreign.size
  }

  /** The slot of `key`, or undefined. */
  get(key: string): number | undefined {
    if (!this.#decode(key)) return this.#foreign.get(key)
    const table = this.#table
    for (let at = this.#homeOfScratch(); ; at = (at + 1) & this.#mask) {
      const entry = table[at]!
      if (entry === 0) return undefined
      if (this.#holdsScratch(entry - 1)) return entry - 1
    }
  }

  /** Adds `key` (not in the table) for `slot` (which holds no key). */
  add(key: string, slot: number): void {
    if (!this.#decode(key)) {
      this.#foreign.set(key, slot)
      this.#foreignBySlot.set(slot, key)
      return
    }
    this.#words.set(this.#scratchWords, slot * KEY_WORDS)
    const table = this.#table
    let at = this.#homeOfScratch()
    while (table[at] !== 0) at = (at + 1) & this.#mask
    table[at] = slot + 1
    this.#tableSize++
  }

  /** Removes the key of `slot` (which holds one). */
  removeSlot(slot: number): void {
    if (this.#foreignBySlot.size !== 0) {
      const key = this.#foreignBySlot.get(slot)
      if (key !== undefined) {
        this.#foreignBySlot.delete(slot)
        this.#foreign.delete(key)
        return
      }
    }
    const table = this.#table
    let hole = this.#homeOf(slot)
    for (let entry = table[hole]; entry !== slot + 1; entry = table[hole]) {
      if (entry === 0) return // not in the table: nothing to remove
      hole = (hole + 1) & this.#mask
    }
    // Each entry after the hole, up to the next empty position, moves back into it unless the
    // hole lies before its home position (it would then be found past an empty position).
    for (let at = (hole + 1) & this.#mask; ; at = (at + 1) & this.#mask) {
      const entry = table[at]!
      if (entry === 0) break
      const home = this.#homeOf(entry - 1)
      if (((at - home) & this.#mask) >= ((at - hole) & this.#mask)) {
        table[hole] = entry
        hole = at
      }
    }
    table[hole] = 0
    this.#tableSize--
  }

  /** The key of `slot` (which holds one), as the string it was added as. */
  keyOf(slot: number): string {
    return this.#keyAt(slot)
  }

  /** Every key, as a new array. */
  keys(): string[] {
    const keys: string[] = [...this.#foreign.keys()]
    for (const entry of this.#table) if (entry !== 0) keys.push(this.#keyAt(entry - 1))
    return keys
  }

  #keyAt(slot: number): string {
    const foreign = this.#foreignBySlot.size === 0 ? undefined : this.#foreignBySlot.get(slot)
    if (foreign !== undefined) return foreign
    const from = slot * KEY_BYTES
    return toBase64url(this.#bytes.subarray(from, from + KEY_BYTES))
  }

  /** Removes every key, releasing the memory the arrays had committed. */
  clear(): void {
    this.#bytes = new Uint8Array(this.#capacity * KEY_BYTES)
    this.#words = new Int32Array(this.#bytes.buffer)
    this.#table = new Int32Array(this.#mask + 1)
    this.#tableSize = 0
    this.#foreign.clear()
    this.#foreignBySlot.clear()
  }

  /**
   * Decodes `key` into `#scratch` if it is the canonical base64url of 32 bytes (so that
   * `keyOf` gives the very same string back); false for a key of any other shape.
   */
  #decode(key: string): boolean {
    // A request loads, then saves, the same key: the second call finds it decoded already.
    if (key === this.#scratchKey) return true
    if (key.length !== KEY_LENGTH) return false
    this.#scratchKey = decodeKey(key, this.#scratch) ? key : undefined
    return this.#scratchKey !== undefined
  }

  /** Whether `slot` holds the key in `#scratch`. */
  #holdsScratch(slot: number): boolean {
    const words = this.#words
    const scratch = this.#scratchWords
    const from = slot * KEY_WORDS
    for (let i = 0; i < KEY_WORDS; i++) if (words[from + i] !== scratch[i]) return false
    return true
  }

  #homeOfScratch(): number {
    return this.#position(this.#scratchWords[0]!)
  }

  #homeOf(slot: number): number {
    return this.#position(this.#words[slot * KEY_WORDS]!)
  }

  /** A key's position in the table from its first word: seeded, then Fibonacci hashing. */
  #position(word: number): number {
    return Math.imul(word ^ this.#seed, 0x9e3779b1) >>> this.#shift
  }
}

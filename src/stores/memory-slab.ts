import type { Expiry } from '../core/expiry.js'
import type { SessionRecord } from '../core/store.js'

/**
 * The records of a `MemoryStore`, one slot each, held in parallel arrays instead of one object
 * per record: the numbers in typed arrays (an epoch time in an object field would be a boxed
 * heap number), the strings in plain arrays. At a million records that saves about a hundred
 * bytes each, and leaves the garbage collector no per-record object to trace but the strings.
 */
export class RecordSlab {
  readonly #maxCapacity: number
  /** Slots released and not yet reused, as a stack. */
  #free: number[] = []
  /** Slots ever handed out: `0 .. #used - 1`. */
  #used = 0
  capacity = 0
  keys: (string | undefined)[] = []
  data: (string | undefined)[] = []
  tokens: (string | undefined)[] = []
  expiries: (Expiry | undefined)[] = []
  createdAt = new Float64Array(0)
  expiresAt = new Float64Array(0)
  version = new Float64Array(0)
  schemaVersion = new Float64Array(0)
  /** The bytes each record is counted for (see `MemoryStoreOptions.maxBytes`). */
  size = new Float64Array(0)

  /** `maxCapacity`: the most slots ever needed at once (the store's `maxSessions`). */
  constructor(maxCapacity: number) {
    this.#maxCapacity = maxCapacity
  }

  /** A free slot, growing the arrays (by doubling, up to `maxCapacity`) when none is left. */
  allocate(): number {
    const reused = this.#free.pop()
    if (reused !== undefined) return reused
    if (this.#used === this.capacity) {
      this.#grow(Math.min(this.#maxCapacity, Math.max(64, this.capacity * 2)))
    }
    return this.#used++
  }

  /** Gives `slot` back, dropping its strings so the garbage collector can reclaim them. */
  release(slot: number): void {
    this.keys[slot] = undefined
    this.data[slot] = undefined
    this.tokens[slot] = undefined
    this.expiries[slot] = undefined
    this.#free.push(slot)
  }

  /** Puts `record` in `slot`, its data already serialized as `data`, counted as `size` bytes. */
  write(slot: number, record: SessionRecord, data: string, size: number): void {
    this.keys[slot] = record.key
    this.data[slot] = data
    this.tokens[slot] = record.token
    // Copied: later changes to the caller's object cannot reach the store.
    this.expiries[slot] = record.expiry === undefined ? undefined : { ...record.expiry }
    this.createdAt[slot] = record.createdAt
    this.expiresAt[slot] = record.expiresAt
    this.version[slot] = record.version
    this.schemaVersion[slot] = record.schemaVersion
    this.size[slot] = size
  }

  /** The record in `slot` as a fresh object: the caller may change it freely. */
  read(slot: number): SessionRecord {
    const record: SessionRecord = {
      key: this.keys[slot]!,
      data: JSON.parse(this.data[slot]!) as SessionRecord['data'],
      createdAt: this.createdAt[slot]!,
      expiresAt: this.expiresAt[slot]!,
      version: this.version[slot]!,
      schemaVersion: this.schemaVersion[slot]!,
    }
    const expiry = this.expiries[slot]
    if (expiry !== undefined) record.expiry = { ...expiry }
    const token = this.tokens[slot]
    if (token !== undefined) record.token = token
    return record
  }

  /** Releases every slot and the arrays. */
  reset(): void {
    this.#free = []
    this.#used = 0
    this.capacity = 0
    this.keys = []
    this.data = []
    this.tokens = []
    this.expiries = []
    this.#grow(0)
  }

  #grow(capacity: number): void {
    this.createdAt = grown(this.createdAt, capacity)
    this.expiresAt = grown(this.expiresAt, capacity)
    this.version = grown(this.version, capacity)
    this.schemaVersion = grown(this.schemaVersion, capacity)
    this.size = grown(this.size, capacity)
    this.capacity = capacity
  }
}

/** A copy of `array` with room for `capacity` numbers (or an empty one for 0). */
function grown(array: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(capacity)
  if (capacity > 0) next.set(array)
  return next
}

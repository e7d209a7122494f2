import type { Expiry } from '../core/expiry.js'
import { ownToken, ownTokenCounter } from '../core/record-markers.js'
import type { SessionRecord } from '../core/store.js'
import { IntegerColumn } from './memory-integer-column.js'

/** Slots per page of the string columns (a power of two). */
const PAGE_BITS = 12
const PAGE_SIZE = 1 << PAGE_BITS
const PAGE_MASK = PAGE_SIZE - 1

/** One page's worth of a column of strings or objects, all unset. */
const emptyColumn = () => new Array<undefined>(PAGE_SIZE).fill(undefined)

/** The strings and expiry of the records of one page of slots (their keys are in the KeyTable). */
interface Page {
  readonly data: (string | undefined)[]
  /** The expiries set with `setExpiry`; made when the page's first one is written. */
  expiries: (Expiry | undefined)[] | undefined
  /**
   * The owner keys, each the one string the owner index keeps for all its records; made when
   * the page's first bound record is written, so a store of unbound sessions pays nothing.
   */
  owners: (string | undefined)[] | undefined
}

/**
 * The records of a `MemoryStore`, one slot each, held in columns instead of one object per
 * record: the numbers in typed arrays (an epoch time in an object field would be a boxed heap
 * number), the strings in pages of PAGE_SIZE slots (the keys are in the `KeyTable`). At a million
 * records that saves about a hundred bytes each and leaves the garbage collector no per-record
 * object to trace but the data's JSON. Nothing is ever copied to grow: the typed arrays are
 * allocated once at `capacity` (the system commits their memory as it is first written) and
 * string pages are added one by one.
 */
export class RecordSlab {
  readonly #capacity: number
  /** Slots released and not yet reused: a stack of `#freeCount`. */
  #free: Int32Array<ArrayBuffer>
  #freeCount = 0
  /** Slots ever handed out: `0 .. #used - 1`. */
  #used = 0
  #pages: Page[] = []
  /**
   * The tokens not of this process's engine (a marker's, one written by a test or a tool), by
   * slot; the engine's own are numbers in `tokenCounter`, so this map is nearly always empty.
   */
  #tokens = new Map<number, string>()
  createdAt: Float64Array<ArrayBuffer>
  expiresAt: Float64Array<ArrayBuffer>
  readonly version: IntegerColumn
  readonly schemaVersion: IntegerColumn
  /**
   * The bytes each record is counted for (see `MemoryStoreOptions.maxBytes`), in 32 bits: a
   * record over `MAX_RECORD_BYTES` is refused (memory-records.ts).
   */
  size: Uint32Array<ArrayBuffer>
  /**
   * The counter of a token this process's engine wrote (`ownTokenCounter`), or NaN when
   * `#tokens` holds the token (or there is none): 8 bytes instead of a string per record.
   */
  tokenCounter: Float64Array<ArrayBuffer>

  /** `capacity`: the most slots ever in use at once. */
  constructor(capacity: number) {
    this.#capacity = capacity
    this.#free = new Int32Array(capacity)
    this.createdAt = new Float64Array(capacity)
    this.expiresAt = new Float64Array(capacity)
    this.version = new IntegerColumn(capacity)
    this.schemaVersion = new IntegerColumn(capacity)
    this.size = new Uint32Array(capacity)
    this.tokenCounter = new Float64Array(capacity)
  }

  /** A free slot (the caller keeps at most `capacity` in use). */
  allocate(): number {
    if (this.#freeCount > 0) return this.#free[--this.#freeCount]!
    if ((this.#used & PAGE_MASK) === 0) {
      this.#pages.push({ data: emptyColumn(), expiries: undefined, owners: undefined })
    }
    return this.#used++
  }

  /** Gives `slot` back, dropping its strings so the garbage collector can reclaim them. */
  release(slot: number): void {
    const page = this.#pages[slot >>> PAGE_BITS]!
    const at = slot & PAGE_MASK
    page.data[at] = undefined
    if (page.expiries !== undefined) page.expiries[at] = undefined
    if (Number.isNaN(this.tokenCounter[slot]!)) this.#tokens.delete(slot)
    this.version.release(slot)
    this.schemaVersion.release(slot)
    if (page.owners !== undefined) page.owners[at] = undefined
    this.#free[this.#freeCount++] = slot
  }

  /** The owner key of the record in `slot`, if it is bound. */
  ownerOf(slot: number): string | undefined {
    return this.#pages[slot >>> PAGE_BITS]!.owners?.[slot & PAGE_MASK]
  }

  /**
   * Puts `record` in `slot`, its data already serialized as `data`, counted as `size` bytes, its
   * owner key as `owner` (the owner index's string, equal to `record.owner`).
   */
  write(slot: number, record: SessionRecord, data: string, size: number, owner?: string): void {
    const page = this.#pages[slot >>> PAGE_BITS]!
    const at = slot & PAGE_MASK
    page.data[at] = data
    const counter = ownTokenCounter(record.token)
    if (counter !== undefined) {
      this.#tokens.delete(slot)
      this.tokenCounter[slot] = counter
    } else {
      if (record.token === undefined) this.#tokens.delete(slot)
      else this.#tokens.set(slot, record.token)
      this.tokenCounter[slot] = NaN
    }
    if (owner !== undefined) (page.owners ??= emptyColumn())[at] = owner
    else if (page.owners !== undefined) page.owners[at] = undefined
    // Copied: later changes to the caller's object cannot reach the store.
    if (record.expiry !== undefined) (page.expiries ??= emptyColumn())[at] = { ...record.expiry }
    else if (page.expiries !== undefined) page.expiries[at] = undefined
    this.createdAt[slot] = record.createdAt
    this.expiresAt[slot] = record.expiresAt
    this.version.set(slot, record.version)
    this.schemaVersion.set(slot, record.schemaVersion)
    this.size[slot] = size
  }

  /** The record in `slot`, whose key is `key`, as a fresh object: the caller may change it freely. */
  read(slot: number, key: string): SessionRecord {
    const page = this.#pages[slot >>> PAGE_BITS]!
    const at = slot & PAGE_MASK
    const record: SessionRecord = {
      key,
      data: JSON.parse(page.data[at]!) as SessionRecord['data'],
      createdAt: this.createdAt[slot]!,
      expiresAt: this.expiresAt[slot]!,
      version: this.version.get(slot),
      schemaVersion: this.schemaVersion.get(slot),
    }
    const expiry = page.expiries?.[at]
    if (expiry !== undefined) record.expiry = { ...expiry }
    const counter = this.tokenCounter[slot]!
    const token = Number.isNaN(counter) ? this.#tokens.get(slot) : ownToken(counter)
    if (token !== undefined) record.token = token
    const owner = page.owners?.[at]
    if (owner !== undefined) record.owner = owner
    return record
  }

  /** Releases every slot, and the memory the columns had committed. */
  reset(): void {
    this.#free = new Int32Array(this.#capacity)
    this.#freeCount = 0
    this.#used = 0
    this.#pages = []
    this.#tokens = new Map()
    this.createdAt = new Float64Array(this.#capacity)
    this.expiresAt = new Float64Array(this.#capacity)
    this.version.reset()
    this.schemaVersion.reset()
    this.size = new Uint32Array(this.#capacity)
    this.tokenCounter = new Float64Array(this.#capacity)
  }
}

import { unstorableValue } from '../core/errors.js'
import type { SessionRecord } from '../core/store.js'
import { ExpiryHeap } from './memory-expiry-heap.js'
import { KeyTable } from './memory-key-table.js'
import { OwnerIndex } from './memory-owners.js'
import { SessionRanking } from './memory-ranking.js'
import { RecordSlab } from './memory-slab.js'
import { MEMORY_RECORD_OVERHEAD } from './memory-store-options.js'

/** The most bytes one record may be counted for: the slab keeps sizes in 32 bits. */
const MAX_RECORD_BYTES = 0xffffffff

/** Expired records each write reclaims at most, so no request pays for a backlog. */
const SWEEP_STEP = 4

/*
 * Why the store survives a flood and a million records:
 * - Segmented LRU (memory-ranking.ts): eviction takes expired records first, then the least
 *   recently used of the records created and not used since, then of those used again, and the
 *   records `cycleId` created (logins) last. A flood can buy the first two ranks, not the third.
 * - Expired records are ordered in a min-heap by `expiresAt`: each write reclaims up to
 *   SWEEP_STEP expired ones (O(1) when none is due), and eviction finds an expired record in
 *   O(1), so no write ever scans the store, whatever its size.
 * - The records live in a slab of parallel arrays indexed by slot, their keys as bytes in a hash
 *   table of slots (memory-key-table.ts), the recency lists, the heap and the owner lists in
 *   typed arrays: every operation is O(1) or O(log n), and a million records cost under two
 *   hundred bytes each with no per-record object but the data's JSON string.
 * - Every removal goes through `remove`, which takes the record out of every structure, the
 *   owner index included: eviction, expiry and deletion leave no entry behind.
 */

/**
 * The records of a `MemoryStore` and their bookkeeping: where each is (key → slot), what it holds
 * (the slab), its rank for eviction, its expiry and its owner; and the bounds they are kept in.
 * The store's methods are the session-store contract over these primitives.
 */
export class MemoryRecords {
  readonly slots: KeyTable
  readonly slab: RecordSlab
  readonly ranking: SessionRanking
  readonly expiries: ExpiryHeap
  readonly owners: OwnerIndex
  readonly #maxSessions: number
  readonly #maxBytes: number
  readonly #maxRecordSize: number
  bytes = 0

  constructor(capacity: number, maxSessions: number, maxBytes: number, maxRecordSize: number) {
    this.#maxSessions = maxSessions
    this.#maxBytes = maxBytes
    this.#maxRecordSize = maxRecordSize
    this.slots = new KeyTable(capacity)
    this.slab = new RecordSlab(capacity)
    this.expiries = new ExpiryHeap(capacity, this.slab)
    this.owners = new OwnerIndex(capacity)
    this.ranking = new SessionRanking(this.slab, capacity, maxSessions, maxBytes)
  }

  /** The slot of `key` if it holds a live record at `now`; an expired one found is removed. */
  liveSlotOf(key: string, now: number): number | undefined {
    const slot = this.slots.get(key)
    if (slot === undefined || this.slab.expiresAt[slot]! > now) return slot
    this.remove(slot)
    return undefined
  }

  /** Writes `record` over the one in `slot`, then makes room if it grew past `maxBytes`. */
  replace(slot: number, record: SessionRecord, now: number): void {
    const data = JSON.stringify(record.data)
    const growth = this.#sizeOf(record, data) - this.slab.size[slot]!
    const expiresAt = this.slab.expiresAt[slot]!
    this.slab.write(slot, record, data, this.slab.size[slot]! + growth, this.#rebind(slot, record))
    this.expiries.update(slot, expiresAt)
    this.bytes += growth
    this.ranking.resize(slot, growth)
    this.ranking.use(slot)
    this.sweepStep(now)
    if (this.bytes > this.#maxBytes) this.#makeRoom(0, now, slot)
  }

  /** Adds a record whose key the store does not hold, making room first. */
  insert(record: SessionRecord, now: number, cycled: boolean): void {
    const data = JSON.stringify(record.data)
    const size = this.#sizeOf(record, data)
    this.sweepStep(now)
    this.#makeRoom(size, now, -1)
    const slot = this.slab.allocate()
    const owner = record.owner === undefined ? undefined : this.owners.link(slot, record.owner)
    this.slab.write(slot, record, data, size, owner)
    this.slots.add(record.key, slot)
    this.ranking.add(slot, cycled)
    this.expiries.insert(slot)
    this.bytes += size
  }

  /** Removes the record in `slot` from every structure. */
  remove(slot: number): void {
    this.bytes -= this.slab.size[slot]!
    this.slots.removeSlot(slot)
    const owner = this.slab.ownerOf(slot)
    if (owner !== undefined) this.owners.unlink(slot, owner)
    this.ranking.remove(slot)
    this.expiries.remove(slot)
    this.slab.release(slot)
  }

  /** Reclaims up to SWEEP_STEP expired records, the earliest first. */
  sweepStep(now: number): void {
    for (let i = 0; i < SWEEP_STEP; i++) {
      const slot = this.expiries.first()
      if (slot === -1 || this.expiries.timeOf(slot) > now) return
      this.remove(slot)
    }
  }

  /** Drops every record and releases their memory. */
  reset(): void {
    this.slots.clear()
    this.slab.reset()
    this.ranking.reset()
    this.expiries.reset()
    this.owners.reset()
    this.bytes = 0
  }

  /** Moves `slot` to the owner list of `record.owner` if that changed; its owner string. */
  #rebind(slot: number, record: SessionRecord): string | undefined {
    const previous = this.slab.ownerOf(slot)
    if (previous === record.owner) return previous
    if (previous !== undefined) this.owners.unlink(slot, previous)
    return record.owner === undefined ? undefined : this.owners.link(slot, record.owner)
  }

  /**
   * The bytes `record` is counted for, its data serialized as `data`; refuses data over
   * maxRecordSize, and a record over maxBytes.
   */
  #sizeOf(record: SessionRecord, data: string): number {
    const size =
      MEMORY_RECORD_OVERHEAD +
      record.key.length +
      data.length +
      (record.token?.length ?? 0) +
      (record.owner?.length ?? 0)
    if (data.length > this.#maxRecordSize || size > this.#maxBytes || size > MAX_RECORD_BYTES) {
      throw unstorableValue(
        `the session's data takes ${data.length} characters of JSON (about ${size} bytes in all), more than a MemoryStore with maxBytes ${this.#maxBytes} holds for one session (its maxRecordSize, a 64th of maxBytes: ${this.#maxRecordSize}). Keep less in the session, or raise maxBytes.`
      )
    }
    return size
  }

  /**
   * Evicts until one more record of `incoming` bytes fits: expired records first, then by rank
   * (see `SessionRanking.victim`); never `keep` (the record being written).
   */
  #makeRoom(incoming: number, now: number, keep: number): void {
    const records = incoming === 0 ? 0 : 1
    while (
      this.slots.size + records > this.#maxSessions ||
      this.bytes + incoming > this.#maxBytes
    ) {
      let victim = this.expiries.first()
      if (victim === -1 || this.expiries.timeOf(victim) > now) victim = this.ranking.victim(keep)
      if (victim === -1 || victim === keep) return
      this.remove(victim)
    }
  }
}

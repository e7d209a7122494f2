import { unstorableValue } from '../core/errors.js'
import {
  batchSizeOf,
  type CreateOptions,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { KeyIndex } from './memory-index.js'
import {
  MEMORY_RECORD_OVERHEAD,
  resolveMemoryStoreOptions,
  type MemoryStoreOptions,
} from './memory-store-options.js'
import { ExpiryHeap } from './memory-expiry-heap.js'
import { SessionRanking } from './memory-ranking.js'
import { RecordSlab } from './memory-slab.js'

export { MEMORY_RECORD_OVERHEAD, type MemoryStoreOptions }

/** Expired records each write reclaims at most, so no request pays for a backlog. */
const SWEEP_STEP = 4
/** Expired records `deleteExpired` deletes at most between two yields to the event loop. */
const DELETE_CHUNK = 1024
/**
 * Milliseconds of deleting after which `deleteExpired` yields early, checked every 128
 * deletions: a chunk that meets the key index's Map shrinking (a rehash) or a garbage
 * collection step still ends soon. (Where the clock is frozen during a request, on Workers, the
 * count alone bounds it.)
 */
const DELETE_SLICE_MS = 1

/*
 * Why the store survives a flood and a million records:
 * - Segmented LRU (memory-ranking.ts): eviction takes expired records first, then the least
 *   recently used of the records created and not used since, then of those used again, and the
 *   records `cycleId` created (logins) last. A flood can buy the first two ranks, not the third.
 * - Expired records are ordered in a min-heap by `expiresAt`: each write reclaims up to
 *   SWEEP_STEP expired ones (O(1) when none is due), and eviction finds an expired record in
 *   O(1), so no write ever scans the store, whatever its size.
 * - The records live in a slab of parallel arrays indexed by slot (the Map holds key → slot),
 *   the recency lists and the heap in typed arrays: every operation is O(1) or O(log n), and a
 *   million records cost a few hundred bytes each with no per-record object besides the strings.
 */

/**
 * The embedded default store: a bounded in-process map. Records are held as JSON strings, so the
 * engine and the store never share mutable objects, exactly like a store with a server. Sessions do
 * not survive a restart and are not shared between processes; use a server store for that.
 * @example
 * const store = new MemoryStore({ maxSessions: 50_000, maxBytes: 256 * 1024 * 1024 })
 * await store.create({ key, data: {}, createdAt: now, expiresAt: now + 3_600_000, version: 0, schemaVersion: 0 })
 * const record = await store.load(key)
 */
export class MemoryStore implements SessionStore {
  /** Its calls never wait on I/O: the engine does not race them against `storeTimeout`. */
  readonly inProcess = true
  readonly #slots: KeyIndex
  readonly #slab: RecordSlab
  readonly #ranking: SessionRanking
  readonly #expiries: ExpiryHeap
  readonly #maxSessions: number
  readonly #maxBytes: number
  readonly #now: () => number
  #bytes = 0

  /**
   * The most characters of JSON one session's data may take here: a 64th of `maxBytes` (1 MiB
   * at the default 64 MiB), so the store always holds 64 sessions of that size and no single
   * record needs room that logged-in sessions hold. The engine's `maxSize` defaults to it when
   * it is under 1 MiB; a record over it is refused with `INVALID_VALUE`.
   */
  readonly maxRecordSize: number

  constructor(options: MemoryStoreOptions = {}) {
    const { maxSessions, maxBytes, maxRecordSize, now, capacity } =
      resolveMemoryStoreOptions(options)
    this.#maxSessions = maxSessions
    this.#maxBytes = maxBytes
    this.maxRecordSize = maxRecordSize
    this.#now = now
    this.#slots = new KeyIndex(capacity)
    this.#slab = new RecordSlab(capacity)
    this.#expiries = new ExpiryHeap(capacity)
    this.#ranking = new SessionRanking(this.#slab, capacity, maxSessions, maxBytes)
  }

  /**
   * How many records the store holds, including expired ones not yet reclaimed (they are never
   * loaded, and are reclaimed over the next writes or by `deleteExpired`).
   * @example if (store.size > 9_000) console.warn('session store nearly full')
   */
  get size(): number {
    return this.#slots.size
  }

  /**
   * The bytes the store counts its records for (see `maxBytes`).
   * @example if (store.bytes > 0.9 * maxBytes) console.warn('session store nearly full')
   */
  get bytes(): number {
    return this.#bytes
  }

  /**
   * Inserts the record if no live record has its key (an expired one is replaced). A record
   * created with `{ cycled: true }` (the engine's `cycleId`: a login) is evicted last.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord, options?: CreateOptions): Promise<boolean> {
    const now = this.#now()
    const slot = this.#slots.get(record.key)
    if (slot !== undefined) {
      if (this.#slab.expiresAt[slot]! > now) return false
      this.#remove(slot)
    }
    this.#insert(record, now, options?.cycled === true)
    return true
  }

  /**
   * The record with this key as a fresh object, or `undefined` if missing or expired (an expired
   * record found here is removed). A record loaded after its creation ranks as returning.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    if (this.#slab.expiresAt[slot]! <= this.#now()) {
      this.#remove(slot)
      return undefined
    }
    this.#ranking.use(slot)
    return this.#slab.read(slot)
  }

  /**
   * Without `expectedVersion`, an upsert. With it, writes only if a live record with exactly that
   * version exists; `false` otherwise (also when the record is missing or expired).
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const now = this.#now()
    let slot = this.#slots.get(record.key)
    if (slot !== undefined && this.#slab.expiresAt[slot]! <= now) {
      this.#remove(slot)
      slot = undefined
    }
    if (slot === undefined) {
      if (expectedVersion !== undefined) return false
      this.#insert(record, now, false)
    } else {
      if (expectedVersion !== undefined && this.#slab.version[slot] !== expectedVersion) {
        return false
      }
      this.#replace(slot, record, now)
    }
    return true
  }

  /**
   * Deletes the record with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    const slot = this.#slots.get(key)
    if (slot !== undefined) this.#remove(slot)
  }

  /**
   * Deletes every expired record now and returns how many it deleted. Not needed for boundedness
   * (writes reclaim expired records), but frees memory at once. A large backlog is deleted in
   * chunks, yielding to the event loop between them.
   * @example setInterval(() => void store.deleteExpired(), 60_000)
   */
  async deleteExpired(): Promise<number> {
    const now = this.#now()
    let deleted = 0
    let chunk = 0
    let sliceStart = performance.now()
    for (;;) {
      const slot = this.#expiries.first()
      if (slot === -1 || this.#expiries.timeOf(slot) > now) return deleted
      this.#remove(slot)
      deleted++
      if (
        ++chunk === DELETE_CHUNK ||
        (chunk % 128 === 0 && performance.now() - sliceStart >= DELETE_SLICE_MS)
      ) {
        await new Promise((resolve) => setTimeout(resolve, 0))
        chunk = 0
        sliceStart = performance.now()
      }
    }
  }

  /**
   * Every live record, each exactly once, as fresh objects. The keys are snapshotted when the
   * scan starts and the records are read `batchSize` at a time: a record deleted or expired before
   * its batch is read is skipped, an updated one is yielded as its batch reads it, and records
   * created after the scan started are not yielded. A scan does not count as a use of a record.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    const keys = this.#slots.keys()
    for (let start = 0; start < keys.length; start += batchSize) {
      const now = this.#now()
      const batch: SessionRecord[] = []
      for (let i = start; i < Math.min(start + batchSize, keys.length); i++) {
        const slot = this.#slots.get(keys[i]!)
        if (slot !== undefined && this.#slab.expiresAt[slot]! > now) {
          batch.push(this.#slab.read(slot))
        }
      }
      yield* batch
    }
  }

  /**
   * Drops every record and releases their memory. The store stays usable (empty) afterwards.
   * @example await store.close()
   */
  async close(): Promise<void> {
    this.#slots.clear()
    this.#slab.reset()
    this.#ranking.reset()
    this.#expiries.reset()
    this.#bytes = 0
  }

  /**
   * The bytes `record` is counted for, its data serialized as `data`; refuses data over
   * maxRecordSize, and a record over maxBytes.
   */
  #sizeOf(record: SessionRecord, data: string): number {
    const size =
      MEMORY_RECORD_OVERHEAD + record.key.length + data.length + (record.token?.length ?? 0)
    if (data.length > this.maxRecordSize || size > this.#maxBytes) {
      throw unstorableValue(
        `the session's data takes ${data.length} characters of JSON (about ${size} bytes in all), more than a MemoryStore with maxBytes ${this.#maxBytes} holds for one session (its maxRecordSize, a 64th of maxBytes: ${this.maxRecordSize}). Keep less in the session, or raise maxBytes.`
      )
    }
    return size
  }

  /** Writes `record` over the one in `slot`, then makes room if it grew past `maxBytes`. */
  #replace(slot: number, record: SessionRecord, now: number): void {
    const data = JSON.stringify(record.data)
    const growth = this.#sizeOf(record, data) - this.#slab.size[slot]!
    this.#slab.write(slot, record, data, this.#slab.size[slot]! + growth)
    this.#expiries.update(slot, record.expiresAt)
    this.#bytes += growth
    this.#ranking.resize(slot, growth)
    this.#ranking.use(slot)
    this.#sweepStep(now)
    if (this.#bytes > this.#maxBytes) this.#makeRoom(0, now, slot)
  }

  /** Adds a record whose key the store does not hold, making room first. */
  #insert(record: SessionRecord, now: number, cycled: boolean): void {
    const data = JSON.stringify(record.data)
    const size = this.#sizeOf(record, data)
    this.#sweepStep(now)
    this.#makeRoom(size, now, -1)
    const slot = this.#slab.allocate()
    this.#slab.write(slot, record, data, size)
    this.#slots.add(record.key, slot)
    this.#ranking.add(slot, cycled)
    this.#expiries.insert(slot, record.expiresAt)
    this.#bytes += size
  }

  /** Removes the record in `slot` from every structure. */
  #remove(slot: number): void {
    this.#bytes -= this.#slab.size[slot]!
    this.#slots.remove(this.#slab.keyOf(slot))
    this.#ranking.remove(slot)
    this.#expiries.remove(slot)
    this.#slab.release(slot)
  }

  /** Reclaims up to SWEEP_STEP expired records, the earliest first. */
  #sweepStep(now: number): void {
    for (let i = 0; i < SWEEP_STEP; i++) {
      const slot = this.#expiries.first()
      if (slot === -1 || this.#expiries.timeOf(slot) > now) return
      this.#remove(slot)
    }
  }

  /**
   * Evicts until one more record of `incoming` bytes fits: expired records first, then by rank
   * (see `SessionRanking.victim`); never `keep` (the record being written).
   */
  #makeRoom(incoming: number, now: number, keep: number): void {
    const records = incoming === 0 ? 0 : 1
    while (
      this.#slots.size + records > this.#maxSessions ||
      this.#bytes + incoming > this.#maxBytes
    ) {
      let victim = this.#expiries.first()
      if (victim === -1 || this.#expiries.timeOf(victim) > now) victim = this.#ranking.victim(keep)
      if (victim === -1 || victim === keep) return
      this.#remove(victim)
    }
  }
}

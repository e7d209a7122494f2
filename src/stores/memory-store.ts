import {
  batchSizeOf,
  type CreateOptions,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { IN_PROCESS_CALLS, type InProcessCalls } from '../core/in-process-calls.js'
import { MemoryRecords } from './memory-records.js'
import {
  MEMORY_RECORD_OVERHEAD,
  resolveMemoryStoreOptions,
  type MemoryStoreOptions,
} from './memory-store-options.js'

export { MEMORY_RECORD_OVERHEAD, type MemoryStoreOptions }

/** Expired records `deleteExpired` deletes at most between two yields to the event loop. */
const DELETE_CHUNK = 1024
/**
 * Milliseconds of deleting after which `deleteExpired` yields early, checked every 128
 * deletions: a chunk that meets the key index's Map shrinking (a rehash) or a garbage
 * collection step still ends soon. (Where the clock is frozen during a request, on Workers, the
 * count alone bounds it.)
 */
const DELETE_SLICE_MS = 1

let ownerEntries: (store: MemoryStore, owner: string) => number

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
  readonly #calls: InProcessCalls = {
    load: (key) => this.#loadNow(key),
    save: (record, expectedVersion) => this.#saveNow(record, expectedVersion),
    create: (record, options) => this.#createNow(record, options),
  }

  /**
   * The same calls answered at once, for the engine's synchronous path: only while `load`,
   * `save` and `create` are this class's own, so that a subclass or a patch overriding one of
   * them (a fault-injecting test store) is never bypassed.
   */
  get [IN_PROCESS_CALLS](): InProcessCalls | undefined {
    const own = MemoryStore.prototype
    const untouched = this.load === own.load && this.save === own.save && this.create === own.create
    return untouched ? this.#calls : undefined
  }
  readonly #records: MemoryRecords
  readonly #now: () => number

  /**
   * The most characters of JSON one session's data may take here: a 64th of `maxBytes` (1 MiB
   * at the default 64 MiB), so the store always holds 64 sessions of that size and no single
   * record needs room that logged-in sessions hold. The engine's `maxSize` defaults to it when
   * it is under 1 MiB; a record over it is refused with `INVALID_VALUE`.
   */
  readonly maxRecordSize: number

  static {
    ownerEntries = (store, owner) => store.#records.owners.sizeOf(owner)
  }

  constructor(options: MemoryStoreOptions = {}) {
    const { maxSessions, maxBytes, maxRecordSize, now, capacity } =
      resolveMemoryStoreOptions(options)
    this.maxRecordSize = maxRecordSize
    this.#now = now
    this.#records = new MemoryRecords(capacity, maxSessions, maxBytes, maxRecordSize)
  }

  /**
   * How many records the store holds, including expired ones not yet reclaimed (they are never
   * loaded, and are reclaimed over the next writes or by `deleteExpired`).
   * @example if (store.size > 9_000) console.warn('session store nearly full')
   */
  get size(): number {
    return this.#records.slots.size
  }

  /**
   * The bytes the store counts its records for (see `maxBytes`).
   * @example if (store.bytes > 0.9 * maxBytes) console.warn('session store nearly full')
   */
  get bytes(): number {
    return this.#records.bytes
  }

  /**
   * How many users (owner keys) have sessions bound to them here, counting records expired but
   * not yet reclaimed.
   * @example console.log(`${store.owners} users signed in`)
   */
  get owners(): number {
    return this.#records.owners.owners
  }

  /**
   * Inserts the record if no live record has its key (an expired one is replaced). A record
   * created with `{ cycled: true }` (the engine's `cycleId`: a login) is evicted last.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord, options?: CreateOptions): Promise<boolean> {
    return this.#createNow(record, options)
  }

  #createNow(record: SessionRecord, options?: CreateOptions): boolean {
    const now = this.#now()
    if (this.#records.liveSlotOf(record.key, now) !== undefined) return false
    this.#records.insert(record, now, options?.cycled === true)
    return true
  }

  /**
   * The record with this key as a fresh object, or `undefined` if missing or expired (an expired
   * record found here is removed). A record loaded after its creation ranks as returning.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    return this.#loadNow(key)
  }

  #loadNow(key: string): SessionRecord | undefined {
    const slot = this.#records.liveSlotOf(key, this.#now())
    if (slot === undefined) return undefined
    this.#records.ranking.use(slot)
    return this.#records.slab.read(slot, key)
  }

  /**
   * Without `expectedVersion`, an upsert. With it, writes only if a live record with exactly that
   * version exists; `false` otherwise (also when the record is missing or expired). A save that
   * changes the record's `owner` moves it in the owner index.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return this.#saveNow(record, expectedVersion)
  }

  #saveNow(record: SessionRecord, expectedVersion?: number): boolean {
    const now = this.#now()
    const slot = this.#records.liveSlotOf(record.key, now)
    if (slot === undefined) {
      if (expectedVersion !== undefined) return false
      this.#records.insert(record, now, false)
    } else {
      if (
        expectedVersion !== undefined &&
        this.#records.slab.version.get(slot) !== expectedVersion
      ) {
        return false
      }
      this.#records.replace(slot, record, now)
    }
    return true
  }

  /**
   * Deletes the record with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    const slot = this.#records.slots.get(key)
    if (slot !== undefined) this.#records.remove(slot)
  }

  /**
   * Deletes every expired record now and returns how many it deleted. Not needed for boundedness
   * (writes reclaim expired records), but frees memory at once. A large backlog is deleted in
   * chunks, yielding to the event loop between them.
   * @example setInterval(() => void store.deleteExpired(), 60_000)
   */
  async deleteExpired(): Promise<number> {
    const now = this.#now()
    const { expiries } = this.#records
    let deleted = 0
    let chunk = 0
    let sliceStart = performance.now()
    for (;;) {
      const slot = expiries.first()
      if (slot === -1 || expiries.timeOf(slot) > now) return deleted
      this.#records.remove(slot)
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
    const { slots, slab } = this.#records
    const keys = slots.keys()
    for (let start = 0; start < keys.length; start += batchSize) {
      const now = this.#now()
      const batch: SessionRecord[] = []
      for (let i = start; i < Math.min(start + batchSize, keys.length); i++) {
        const key = keys[i]!
        const slot = slots.get(key)
        if (slot !== undefined && slab.expiresAt[slot]! > now) batch.push(slab.read(slot, key))
      }
      yield* batch
    }
  }

  /**
   * The live records bound to `owner`, as fresh objects, from the owner index: it costs what the
   * owner has, never a walk of the store. Expired records found there are removed. A listing does
   * not count as a use of a record.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    const now = this.#now()
    const { owners, slab, slots } = this.#records
    const records: SessionRecord[] = []
    for (const slot of owners.slotsOf(owner)) {
      if (slab.expiresAt[slot]! > now) records.push(slab.read(slot, slots.keyOf(slot)))
      else this.#records.remove(slot)
    }
    return records
  }

  /**
   * Drops every record and releases their memory. The store stays usable (empty) afterwards.
   * @example await store.close()
   */
  async close(): Promise<void> {
    this.#records.reset()
  }
}

/**
 * How many entries the owner index of `store` holds for `owner`, expired records not yet
 * reclaimed included: the raw view the conformance suite checks index hygiene with.
 */
export function ownerIndexEntriesOf(store: MemoryStore, owner: string): number {
  return ownerEntries(store, owner)
}

import { SessionError } from '../core/errors.js'
import type { Expiry } from '../core/expiry.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * The most records the store holds; inserting beyond it evicts expired records first, then the
   * least recently used.
   * @default 10_000
   */
  maxSessions?: number
  /** The clock, in epoch milliseconds (inject one in tests). @default Date.now */
  now?: () => number
}

/** One held record: its data as a JSON string, the other fields as they are. */
interface Entry {
  readonly key: string
  readonly data: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly version: number
  readonly schemaVersion: number
  readonly expiry: Expiry | undefined
  /** The access count when the entry last moved to the back of the LRU order. */
  movedAt: number
}

const DEFAULT_MAX_SESSIONS = 10_000
/** Entries the incremental sweep checks per write. */
const SWEEP_STEP = 4
/** After a full sweep at the bound, skip full sweeps for `maxSessions / FULL_SWEEP_SPACING` inserts. */
const FULL_SWEEP_SPACING = 8

/*
 * Reclaiming expired records without scanning them all on every request:
 *
 * 1. The Map is kept in (nearly) least-recently-used order: `load` and `save` move their entry
 *    to the back by deleting and re-inserting it, so the first entry is the one used longest
 *    ago. An entry moved within the last `maxSessions / 4` accesses is not moved again: it is
 *    already in the back quarter, and skipping the move keeps a busy session's requests cheap.
 * 2. Incremental sweep: every write advances a long-lived Map iterator (the "cursor") by
 *    SWEEP_STEP entries and deletes the expired ones it passes; when it reaches the end, the next
 *    write starts a new pass. Map iterators are live (they skip deleted entries and reach entries
 *    appended later), and a request appends at most a couple of positions while the cursor
 *    advances SWEEP_STEP, so a pass always completes: every expired record is reclaimed within
 *    about `size / 2` writes, at a constant cost per write.
 * 3. At the bound: inserting a new key into a full store first sweeps the whole Map for expired
 *    records, then, if still full, evicts the least recently used. A full sweep costs `size`, so
 *    after one the next `maxSessions / FULL_SWEEP_SPACING` at-bound inserts evict the LRU
 *    directly (the incremental sweep keeps reclaiming meanwhile): amortized, a constant number of
 *    checks per insert even when the store is full of live sessions.
 */

/**
 * The embedded default store: a bounded in-process `Map`. Records are held as JSON strings, so the
 * engine and the store never share mutable objects, exactly like a store with a server. Sessions do
 * not survive a restart and are not shared between processes; use a server store for that.
 * @example
 * const store = new MemoryStore({ maxSessions: 50_000 })
 * await store.create({ key, data: {}, createdAt: now, expiresAt: now + 3_600_000, version: 0, schemaVersion: 0 })
 * const record = await store.load(key)
 */
export class MemoryStore implements SessionStore {
  readonly #entries = new Map<string, Entry>()
  readonly #maxSessions: number
  readonly #now: () => number
  #cursor: Iterator<Entry> | undefined
  #accesses = 0
  #fullSweepCooldown = 0

  constructor(options: MemoryStoreOptions = {}) {
    const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS
    if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) {
      throw new SessionError(
        'CONFIG',
        `MemoryStore options.maxSessions takes an integer >= 1, got ${maxSessions}. Pass e.g. 10_000.`
      )
    }
    const now = options.now ?? Date.now
    if (typeof now !== 'function') {
      throw new SessionError(
        'CONFIG',
        'MemoryStore options.now takes a function returning epoch milliseconds, e.g. () => Date.now().'
      )
    }
    this.#maxSessions = maxSessions
    this.#now = now
  }

  /**
   * How many records the store holds, including expired ones not yet reclaimed (they are never
   * loaded, and are reclaimed over the next writes or by `deleteExpired`).
   * @example if (store.size > 9_000) console.warn('session store nearly full')
   */
  get size(): number {
    return this.#entries.size
  }

  /**
   * Inserts the record if no live record has its key (an expired one is replaced).
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const now = this.#now()
    const existing = this.#entries.get(record.key)
    if (existing !== undefined && existing.expiresAt > now) return false
    this.#write(record, existing !== undefined, now)
    return true
  }

  /**
   * The record with this key as a fresh object, or `undefined` if missing or expired (an expired
   * record found here is removed).
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    this.#touch(entry)
    return toRecord(entry)
  }

  /**
   * Without `expectedVersion`, an upsert. With it, writes only if a live record with exactly that
   * version exists; `false` otherwise (also when the record is missing or expired).
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const now = this.#now()
    const existing = this.#entries.get(record.key)
    if (expectedVersion !== undefined) {
      if (existing === undefined) return false
      if (existing.expiresAt <= now) {
        this.#entries.delete(record.key)
        return false
      }
      if (existing.version !== expectedVersion) return false
    }
    this.#write(record, existing !== undefined, now)
    return true
  }

  /**
   * Deletes the record with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    this.#entries.delete(key)
  }

  /**
   * Deletes every expired record now and returns how many it deleted. Not needed for boundedness
   * (writes reclaim expired records incrementally), but frees memory at once.
   * @example setInterval(() => void store.deleteExpired(), 60_000)
   */
  async deleteExpired(): Promise<number> {
    return this.#sweepAll(this.#now())
  }

  /**
   * Every live record, each exactly once, as fresh objects. The keys are snapshotted when the
   * scan starts and the records are read `batchSize` at a time: a record deleted or expired before
   * its batch is read is skipped, an updated one is yielded as its batch reads it, and records
   * created after the scan started are not yielded. Loads and saves during the scan (which reorder
   * the store) never make a record appear twice.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    const keys = Array.from(this.#entries.keys())
    for (let start = 0; start < keys.length; start += batchSize) {
      const now = this.#now()
      const batch: SessionRecord[] = []
      for (const key of keys.slice(start, start + batchSize)) {
        const entry = this.#entries.get(key)
        if (entry !== undefined && entry.expiresAt > now) {
          batch.push(toRecord(entry))
        }
      }
      yield* batch
    }
  }

  /**
   * Drops every record. The store stays usable (empty) afterwards.
   * @example await store.close()
   */
  async close(): Promise<void> {
    this.#entries.clear()
    this.#cursor = undefined
    this.#fullSweepCooldown = 0
  }

  /** Moves `entry` to the back of the LRU order, unless it moved there recently. */
  #touch(entry: Entry): void {
    const accesses = ++this.#accesses
    if (accesses - entry.movedAt <= this.#maxSessions >>> 2) return
    entry.movedAt = accesses
    this.#entries.delete(entry.key)
    this.#entries.set(entry.key, entry)
  }

  /** Stores `record` as the most recently used entry, reclaiming room first. */
  #write(record: SessionRecord, replacing: boolean, now: number): void {
    // Only the contract's fields, the data serialized: later changes to `record` cannot reach us.
    const entry: Entry = {
      key: record.key,
      data: JSON.stringify(record.data),
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      version: record.version,
      schemaVersion: record.schemaVersion,
      expiry: record.expiry === undefined ? undefined : { ...record.expiry },
      movedAt: 0,
    }
    this.#sweepStep(now)
    const previous = replacing ? this.#entries.get(record.key) : undefined
    if (previous !== undefined) {
      // Replaced in place (Map.set keeps the position), then moved back like a load would be.
      entry.movedAt = previous.movedAt
      this.#entries.set(record.key, entry)
      this.#touch(entry)
      return
    }
    if (this.#entries.size >= this.#maxSessions) this.#makeRoom(now)
    entry.movedAt = ++this.#accesses
    this.#entries.set(record.key, entry)
  }

  /** Advances the incremental sweep by SWEEP_STEP entries (see the comment at the top). */
  #sweepStep(now: number): void {
    this.#cursor ??= this.#entries.values()
    for (let i = 0; i < SWEEP_STEP; i++) {
      const next = this.#cursor.next()
      if (next.done === true) {
        this.#cursor = undefined // the next write starts a new pass
        return
      }
      if (next.value.expiresAt <= now) this.#entries.delete(next.value.key)
    }
  }

  /** Frees one slot in a full store: expired records first, else the least recently used. */
  #makeRoom(now: number): void {
    if (this.#fullSweepCooldown === 0) {
      this.#sweepAll(now)
      this.#fullSweepCooldown = Math.ceil(this.#maxSessions / FULL_SWEEP_SPACING)
    } else {
      this.#fullSweepCooldown--
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < this.#maxSessions) break
      this.#entries.delete(key) // Map order is LRU order: the first key is used longest ago
    }
  }

  #sweepAll(now: number): number {
    let deleted = 0
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(entry.key)
        deleted++
      }
    }
    return deleted
  }
}

/** A fresh record from an entry: the caller may change it freely. */
function toRecord(entry: Entry): SessionRecord {
  const record: SessionRecord = {
    key: entry.key,
    data: JSON.parse(entry.data) as SessionRecord['data'],
    createdAt: entry.createdAt,
    expiresAt: entry.expiresAt,
    version: entry.version,
    schemaVersion: entry.schemaVersion,
  }
  if (entry.expiry !== undefined) record.expiry = { ...entry.expiry }
  return record
}

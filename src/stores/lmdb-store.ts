import { SessionError, attemptStore, corruptRecord } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { RECORDS_START, ownerRange, writeEntry, type CurrentEntry } from './lmdb-owner-index.js'

/** One entry as `lmdb` returns it from `getEntry` and from `getRange({ versions: true })`. */
export interface LmdbEntry {
  key?: unknown
  value: unknown
  version?: number
}

/**
 * The part of an `lmdb` `Database` (from `open()` or `openDB()`, with `useVersions: true`) the
 * store uses. Declared here rather than imported, so the store never loads the driver.
 */
export interface LmdbDatabase {
  useVersions?: boolean
  getEntry(key: string): LmdbEntry | undefined
  put(key: string, value: string, version: number, ifVersion?: number): Promise<boolean>
  ifNoExists(key: string, action: () => unknown): Promise<boolean>
  ifVersion(key: string, version: number, action: () => unknown): Promise<boolean>
  remove(key: string, ifVersion?: number): Promise<boolean>
  getRange(options: {
    start?: string
    end?: string
    limit?: number
    versions?: boolean
  }): Iterable<LmdbEntry>
}

/** Entries `deleteExpired` removes per awaited batch of conditional removes. */
const DELETE_BATCH_SIZE = 1000
/** Attempts of an upsert or a delete that another writer keeps overtaking. */
const MAX_WRITE_ATTEMPTS = 100

function encode(record: SessionRecord): string {
  return JSON.stringify({
    key: record.key,
    expiresAt: record.expiresAt,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    expiry: record.expiry,
    token: record.token,
    owner: record.owner,
    data: record.data,
  })
}

/**
 * The record of an entry; the version is LMDB's own entry version, which the conditional writes
 * compare. An entry that is not a record is `corruptRecord`, so the engine applies `onInvalid`.
 */
function decode(key: string, entry: LmdbEntry): SessionRecord {
  try {
    if (typeof entry.value !== 'string') throw new TypeError('the entry is not a JSON string')
    const stored = JSON.parse(entry.value) as Record<string, unknown>
    const { data, expiresAt, createdAt, schemaVersion, token, owner } = stored
    if (
      typeof data !== 'object' ||
      data === null ||
      Array.isArray(data) ||
      ![entry.version, expiresAt, createdAt, schemaVersion].every((n) => typeof n === 'number')
    ) {
      throw new TypeError('the entry does not hold a session record')
    }
    const record: SessionRecord = {
      key,
      data: data as JsonObject,
      createdAt: createdAt as number,
      expiresAt: expiresAt as number,
      version: entry.version as number,
      schemaVersion: schemaVersion as number,
    }
    const expiry = parseExpiry(stored['expiry'])
    if (expiry !== undefined) record.expiry = expiry
    if (typeof token === 'string') record.token = token
    if (typeof owner === 'string') record.owner = owner
    return record
  } catch (cause) {
    throw corruptRecord(key, cause)
  }
}

/** The entry a write replaces: its version, and its owner when it can be decoded. */
function currentOf(key: string, entry: LmdbEntry): CurrentEntry {
  return { version: entry.version ?? 0, owner: decodeOrUndefined(key, entry)?.owner }
}

/** The record of an entry, or `undefined` for one that cannot be decoded. */
function decodeOrUndefined(key: string, entry: LmdbEntry): SessionRecord | undefined {
  try {
    return decode(key, entry)
  } catch {
    return undefined
  }
}

/**
 * A session store in an embedded LMDB database through `lmdb`, the application's own database:
 * persistent, memory-mapped, shared safely by the processes of one host. Each record is one
 * entry, the record key as key and the record as a JSON string as value; the record's `version`
 * is LMDB's entry version, so a compare-and-set save is one `put` with `ifVersion`, checked
 * atomically by LMDB's single writer, also against other processes. Reads are local and
 * synchronous (no round trip). Expired entries stay until `deleteExpired`. The sessions bound
 * to a user (`listOwner`) are indexed in the same database, each index entry written in the same
 * conditional LMDB write as its record (lmdb-owner-index.ts). Give the store a database of its
 * own (`root.openDB('sessions', { useVersions: true })`): `scan` reads every entry of it.
 * @example
 * import { open } from 'lmdb'
 * import { LmdbStore } from 'typed-sessions/lmdb'
 *
 * const root = open({ path: './data' })
 * const store = new LmdbStore(root.openDB('sessions', { useVersions: true }))
 * const stop = startExpiredDeletion(store)
 */
export class LmdbStore implements SessionStore {
  readonly #db: LmdbDatabase

  constructor(db: LmdbDatabase) {
    if (typeof db !== 'object' || db === null || typeof db.getEntry !== 'function') {
      throw new SessionError(
        'CONFIG',
        'LmdbStore takes an lmdb Database, e.g. new LmdbStore(open({ path: "./sessions", useVersions: true })).'
      )
    }
    if (db.useVersions !== true) {
      throw new SessionError(
        'CONFIG',
        'LmdbStore needs entry versions for its compare-and-set: open the database with useVersions: true.'
      )
    }
    this.#db = db
  }

  /**
   * Inserts the record unless a live one has its key: `ifNoExists` for a new key, `ifVersion`
   * to replace an expired entry, so a concurrent create of the same key cannot both win.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    return attemptStore('create', async () => {
      const db = this.#db
      const next = { value: encode(record), version: record.version, owner: record.owner }
      const entry = db.getEntry(record.key)
      if (entry === undefined) return writeEntry(db, record.key, undefined, next)
      // An undecodable entry still holds the key: the engine draws another id.
      const current = decodeOrUndefined(record.key, entry)
      if (current === undefined || current.expiresAt > Date.now()) return false
      return writeEntry(db, record.key, current, next)
    })
  }

  /**
   * The record with this key, or `undefined` if it is missing or expired: one local read.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    return attemptStore('load', async () => {
      const entry = this.#db.getEntry(key)
      if (entry === undefined) return undefined
      const record = decode(key, entry)
      return record.expiresAt > Date.now() ? record : undefined
    })
  }

  /**
   * Without `expectedVersion`, an upsert: a write conditional on the version just read, again
   * if another writer came first (so the index entry of the owner it replaces is removed). With
   * it, a `put` with `ifVersion: expectedVersion` after a local check that the entry is live;
   * `false` when the entry is missing, expired, undecodable or at another version (LMDB's own
   * check, atomic across processes).
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return attemptStore('save', async () => {
      const db = this.#db
      const next = { value: encode(record), version: record.version, owner: record.owner }
      if (expectedVersion === undefined) {
        return this.#untilWritten(record.key, (entry) =>
          writeEntry(db, record.key, entry && currentOf(record.key, entry), next)
        )
      }
      const entry = db.getEntry(record.key)
      if (entry === undefined || entry.version !== expectedVersion) return false
      const current = decodeOrUndefined(record.key, entry)
      if (current === undefined || current.expiresAt <= Date.now()) return false
      return writeEntry(db, record.key, current, next)
    })
  }

  /**
   * Removes the entry with this key and its index entry, conditional on the version just read
   * (a save in between would bind it anew); a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', () =>
      this.#untilWritten(key, async (entry) =>
        entry === undefined ? true : writeEntry(this.#db, key, currentOf(key, entry), undefined)
      )
    )
  }

  /**
   * The live records bound to `owner`: one range read over its index entries, then each
   * record's local read, kept when it is live and still bound to `owner`.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    return attemptStore('listOwner', async () => {
      const range = ownerRange(owner)
      const now = Date.now()
      const records: SessionRecord[] = []
      for (const { key } of Array.from(this.#db.getRange(range))) {
        const recordKey = String(key).slice(range.start.length)
        const entry = this.#db.getEntry(recordKey)
        const record = entry && decodeOrUndefined(recordKey, entry)
        if (record?.owner === owner && record.expiresAt > now) records.push(record)
      }
      return records
    })
  }

  /** Runs `write` on the key's current entry until it is not overtaken by another writer. */
  async #untilWritten(
    key: string,
    write: (entry: LmdbEntry | undefined) => Promise<boolean>
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      if (await write(this.#db.getEntry(key))) return true
    }
    throw new Error(`other writers kept changing the entry ${key}`)
  }

  /**
   * Removes every expired entry and returns how many, a page of 1000 entries at a time: each
   * remove is conditional on the version that was read, so an entry saved meanwhile stays.
   * @example setInterval(() => void store.deleteExpired(), 60_000)
   */
  async deleteExpired(): Promise<number> {
    return attemptStore('deleteExpired', async () => {
      const now = Date.now()
      let deleted = 0
      let after: string | undefined
      for (;;) {
        // A page read in one go, then its removes: no read cursor stays open across the awaits
        // (removes under an open non-snapshot cursor would make it skip entries).
        const entries = this.#page(after, DELETE_BATCH_SIZE)
        const removals = entries.flatMap((entry) => {
          const record = decodeOrUndefined(String(entry.key), entry)
          if (record === undefined || record.expiresAt > now) return []
          return [writeEntry(this.#db, record.key, record, undefined)]
        })
        deleted += (await Promise.all(removals)).filter(Boolean).length
        const last = entries.at(-1)
        if (last === undefined || entries.length < DELETE_BATCH_SIZE) return deleted
        after = String(last.key)
      }
    })
  }

  /**
   * Every live record, each exactly once, in key order: each batch is one range read of the next
   * `batchSize` entries after the last key read. An entry that cannot be decoded is skipped.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let after: string | undefined
    for (;;) {
      const entries = await attemptStore('scan', async () => this.#page(after, batchSize))
      const now = Date.now()
      for (const entry of entries) {
        const record = decodeOrUndefined(String(entry.key), entry)
        if (record !== undefined && record.expiresAt > now) yield record
      }
      const last = entries.at(-1)
      if (last === undefined || entries.length < batchSize) return
      after = String(last.key)
    }
  }

  /** Up to `limit` entries with their versions, in key order, after the key `after`. */
  #page(after: string | undefined, limit: number): LmdbEntry[] {
    // `start` is inclusive: read one more and drop the key already seen.
    const range = this.#db.getRange({
      start: after ?? RECORDS_START,
      limit: limit + 1,
      versions: true,
    })
    return Array.from(range)
      .filter((entry) => entry.key !== after)
      .slice(0, limit)
  }
}

import { SessionError, attemptStore, storeFailure } from '../core/errors.js'
import type { CreateOptions, ScanOptions, SessionRecord, SessionStore } from '../core/store.js'
import { cacheEntryOf, recordOfCacheEntry } from './caching-entry.js'
import {
  cacheFailure,
  resolveCachingStoreOptions,
  type CachingStoreOptions,
} from './caching-store-options.js'

export type { CachingStoreOptions }

/** Loads of one key that are waiting for the backing store, and the writes that settled meanwhile. */
interface PendingLoads {
  loads: number
  writes: number
}

/*
 * Consistency rules:
 *
 * 1. The backing store is the authority. Every write goes to it first, and its answer (a
 *    collision, a compare-and-set conflict) is the answer, whatever the cache holds; the cache is
 *    then brought in line with that answer: the written record on success, no entry on a refusal
 *    or a failure. So a stale cached version can cause neither a false `true` nor a false `false`.
 * 2. A read-through fill must not overwrite a newer write. A load that misses the cache asks the
 *    backing store, and while it waits a write of the same key may settle and update the cache;
 *    filling the cache afterwards with the record read earlier would put an old version back. So
 *    each key with loads in flight counts the writes that settle meanwhile, and a load fills the
 *    cache only if none did.
 * 3. The cache never fails an operation. Once the backing store has answered, a cache that
 *    throws or refuses the record has the key dropped (best effort) and the answer stands; a
 *    cache that fails a read is a miss.
 * 4. A cached copy is served for `maxStalenessMs` at most, counted from the start of the backing
 *    store call that produced it (whatever that call saw, the backing store held at or after
 *    that instant). So a write made through another instance, which rule 2 cannot see, is seen
 *    here within that time, even when a read of this instance raced it and filled the cache
 *    after it.
 */

/**
 * A fast store (usually a `MemoryStore`) in front of a slow one: loads are served from the cache
 * when it holds a fresh copy, writes go to the backing store first and then to the cache
 * (tower-sessions' `CachingSessionStore`).
 *
 * - A cached copy is served for `maxStalenessMs` (5 s by default) after the backing store call
 *   that produced it, and never after the record's `expiresAt`. So with a cache per instance, a
 *   record another instance deleted (a logout) or changed is served here for that long at most.
 *   Writes are never lost to that lag: a compare-and-set `save` asks the backing store, and a
 *   conflict drops the cached copy. A cache shared by every instance (a `RedisStore` in front of
 *   a `PostgresStore`) sees each instance's writes at once.
 * - A failure of the backing store fails the operation with `STORE_UNAVAILABLE` (its own
 *   `SessionError` is kept as is) and drops the cached copy, since the backing store's state is
 *   then unknown; nothing the backing store refused or failed to write is ever cached. A failure
 *   of the cache fails nothing: a write drops the key from the cache, a read is a miss, and
 *   `onCacheError` is told.
 * - `deleteExpired`, `scan` and `listOwner` exist exactly when the backing store has them, and
 *   delegate to it; `maxRecordSize` is the backing store's.
 * @example
 * const store = new CachingStore(new MemoryStore({ maxSessions: 5_000 }), new PostgresStore(pool))
 * app.use(sessionMiddleware(appSession, { store, secret }))
 */
export class CachingStore implements SessionStore {
  /**
   * Deletes expired records from the backing store (and from the cache) and returns how many the
   * backing store deleted. Present only when the backing store has `deleteExpired`: a backing
   * store with a native TTL needs none, and the cache drops expired records by itself.
   */
  declare readonly deleteExpired?: () => Promise<number>
  /**
   * Every live record of the backing store, as its `scan` yields them (the cache is not read).
   * Present only when the backing store has `scan`.
   */
  declare readonly scan?: (options?: ScanOptions) => AsyncIterable<SessionRecord>
  /**
   * The live records bound to an owner, as the backing store's `listOwner` lists them (the cache
   * is not read: it is not the authority, and it keeps no owner index). Present only when the
   * backing store has `listOwner`.
   */
  declare readonly listOwner?: (owner: string) => Promise<SessionRecord[]>
  /** The backing store's bound on one session's data, when it has one. */
  declare readonly maxRecordSize?: number

  readonly #cache: SessionStore
  readonly #store: SessionStore
  readonly #pending = new Map<string, PendingLoads>()
  readonly #maxStalenessMs: number
  readonly #now: () => number
  readonly #onCacheError: ((error: SessionError) => void) | undefined

  /**
   * @param cache The fast store, consulted first; usually a `MemoryStore`.
   * @param store The backing store, the authority on every write.
   * @param options How long a cached copy is served; the clock; who hears of cache failures.
   */
  constructor(cache: SessionStore, store: SessionStore, options: CachingStoreOptions = {}) {
    if (!isStore(cache) || !isStore(store)) {
      throw new SessionError(
        'CONFIG',
        'CachingStore takes two stores: new CachingStore(cache, store), e.g. new CachingStore(new MemoryStore(), new PostgresStore(pool)).'
      )
    }
    if (cache === store) {
      throw new SessionError(
        'CONFIG',
        'CachingStore needs a cache distinct from the backing store; pass e.g. a new MemoryStore() as the cache.'
      )
    }
    const { maxStalenessMs, now, onCacheError } = resolveCachingStoreOptions(options)
    this.#cache = cache
    this.#store = store
    this.#maxStalenessMs = maxStalenessMs
    this.#now = now
    this.#onCacheError = onCacheError
    if (store.maxRecordSize !== undefined) this.maxRecordSize = store.maxRecordSize
    const { deleteExpired, scan, listOwner } = store
    if (deleteExpired !== undefined) {
      this.deleteExpired = async () => {
        const deleted = await attemptStore('deleteExpired', () => deleteExpired.call(store))
        await this.#tryCache('deleteExpired', async () => cache.deleteExpired?.())
        return deleted
      }
    }
    if (listOwner !== undefined) {
      this.listOwner = (owner) => attemptStore('listOwner', () => listOwner.call(store, owner))
    }
    if (scan !== undefined) {
      this.scan = async function* (options) {
        try {
          yield* scan.call(store, options)
        } catch (cause) {
          throw storeFailure('scan', cause)
        }
      }
    }
  }

  /**
   * Inserts the record in the backing store, which decides collisions; on success caches it.
   * `options` (a record of `cycleId`) go to both stores.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord, options?: CreateOptions): Promise<boolean> {
    const create = () => this.#store.create(record, options)
    return this.#write(record.key, 'create', create, record, options)
  }

  /**
   * The cached copy while it is fresh, else the backing store's record, which is then cached.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const cached = await this.#tryCache('load', () => this.#cache.load(key))
    if (cached !== undefined) {
      const record = recordOfCacheEntry(cached, this.#now(), this.#maxStalenessMs)
      if (record !== undefined) return record
    }

    let pending = this.#pending.get(key)
    if (pending === undefined) {
      pending = { loads: 0, writes: 0 }
      this.#pending.set(key, pending)
    }
    pending.loads++
    const writesBefore = pending.writes
    const started = this.#now()
    let record: SessionRecord | undefined
    try {
      record = await attemptStore('load', () => this.#store.load(key))
    } finally {
      if (--pending.loads === 0) this.#pending.delete(key)
    }
    if (record !== undefined && pending.writes === writesBefore) {
      await this.#cacheRecord('load', record, started)
    }
    return record
  }

  /**
   * Saves to the backing store (a compare-and-set when `expectedVersion` is given: its answer is
   * the answer), then caches the record on success or drops the cached copy on a conflict.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return this.#write(record.key, 'save', () => this.#store.save(record, expectedVersion), record)
  }

  /**
   * Deletes the record from the backing store, then from the cache.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await this.#write(key, 'delete', async () => (await this.#store.delete(key), false))
  }

  /**
   * Closes both stores (each one even if the other fails to close).
   * @example await store.close()
   */
  async close(): Promise<void> {
    const [store, cache] = await Promise.allSettled([
      attemptStore('close', async () => this.#store.close?.()),
      (async () => this.#cache.close?.())().catch((cause: unknown) => {
        throw cacheFailure('close', cause)
      }),
    ])
    if (store.status === 'rejected') throw store.reason
    if (cache.status === 'rejected') throw cache.reason
  }

  /**
   * Runs `write` against the backing store, then makes the cache agree with its outcome: `cached`
   * is stored when the write answered true, and the key is dropped otherwise (a refusal, a
   * failure whose effect is unknown, a delete).
   */
  async #write(
    key: string,
    operation: 'create' | 'save' | 'delete',
    write: () => Promise<boolean>,
    cached?: SessionRecord,
    options?: CreateOptions
  ): Promise<boolean> {
    const started = this.#now()
    let written: boolean
    try {
      written = await write()
    } catch (cause) {
      this.#settled(key)
      // The backing store's state is now unknown, so the cached copy goes (if the cache lets it).
      await this.#tryCache('delete', () => this.#cache.delete(key))
      throw storeFailure(operation, cause)
    }
    this.#settled(key)
    if (written && cached !== undefined) {
      await this.#cacheRecord(operation, cached, started, options)
    } else {
      await this.#tryCache('delete', () => this.#cache.delete(key))
    }
    return written
  }

  /**
   * Caches `record`, which the backing store held at `fetchedAt` (with `create` after a create,
   * so that the cache hears its `options`); if the cache fails or refuses it, drops the key
   * instead, so that no older copy stays behind.
   */
  async #cacheRecord(
    operation: string,
    record: SessionRecord,
    fetchedAt: number,
    options?: CreateOptions
  ): Promise<void> {
    const entry = cacheEntryOf(record, fetchedAt, this.#maxStalenessMs)
    const cached = await this.#tryCache(operation, async () => {
      if (operation === 'create' && (await this.#cache.create(entry, options))) return true
      return this.#cache.save(entry)
    })
    if (cached !== true) await this.#tryCache('delete', () => this.#cache.delete(record.key))
  }

  /** Tells the loads of `key` in flight that a write settled: what they read may be stale. */
  #settled(key: string): void {
    const pending = this.#pending.get(key)
    if (pending !== undefined) pending.writes++
  }

  /**
   * Runs a cache call. A failure is told to `onCacheError` (a handler that throws is ignored)
   * and answered with `undefined`: the caller goes on as if the cache had missed.
   */
  async #tryCache<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call()
    } catch (cause) {
      try {
        this.#onCacheError?.(cacheFailure(operation, cause))
      } catch {
        // A broken error handler must not break the request either.
      }
      return undefined
    }
  }
}

function isStore(value: unknown): value is SessionStore {
  const candidate = value as Partial<SessionStore> | null | undefined
  return (
    typeof candidate?.create === 'function' &&
    typeof candidate.load === 'function' &&
    typeof candidate.save === 'function' &&
    typeof candidate.delete === 'function'
  )
}

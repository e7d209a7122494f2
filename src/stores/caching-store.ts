import { SessionError, attemptStore, isSessionError, storeFailure } from '../core/errors.js'
import type { ScanOptions, SessionRecord, SessionStore } from '../core/store.js'

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
 */

/**
 * A fast store (usually a `MemoryStore`) in front of a slow one: loads are served from the cache
 * when it holds the record, writes go to the backing store first and then to the cache
 * (tower-sessions' `CachingSessionStore`).
 *
 * - A cached record lives until its `expiresAt` (the cache hides it from then on) or until the
 *   cache evicts it. The cache is local: a record deleted or changed in the backing store by
 *   another process can still be served from this cache until then. Writes are never lost to
 *   that lag: a compare-and-set `save` asks the backing store, and a conflict drops the cached copy.
 * - Failures propagate: a failure of either store fails the operation with `STORE_UNAVAILABLE`
 *   (the store's own `SessionError` is kept as is). When the backing store fails a write, the
 *   cached copy of the key is dropped, since the backing store's state is then unknown; nothing
 *   the backing store refused or failed to write is ever cached.
 * - `deleteExpired` and `scan` exist exactly when the backing store has them, and delegate to it.
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

  readonly #cache: SessionStore
  readonly #store: SessionStore
  readonly #pending = new Map<string, PendingLoads>()

  /**
   * @param cache The fast store, consulted first; usually a `MemoryStore`.
   * @param store The backing store, the authority on every write.
   */
  constructor(cache: SessionStore, store: SessionStore) {
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
    this.#cache = cache
    this.#store = store
    const { deleteExpired, scan } = store
    if (deleteExpired !== undefined) {
      this.deleteExpired = async () => {
        const deleted = await attemptStore('deleteExpired', () => deleteExpired.call(store))
        await guardCache('deleteExpired', async () => cache.deleteExpired?.())
        return deleted
      }
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
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    return this.#write(record.key, 'create', () => this.#store.create(record), record)
  }

  /**
   * The cached record, else the backing store's, which is then cached.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const cached = await guardCache('load', () => this.#cache.load(key))
    if (cached !== undefined) return cached

    let pending = this.#pending.get(key)
    if (pending === undefined) {
      pending = { loads: 0, writes: 0 }
      this.#pending.set(key, pending)
    }
    pending.loads++
    const writesBefore = pending.writes
    let record: SessionRecord | undefined
    try {
      record = await attemptStore('load', () => this.#store.load(key))
    } finally {
      if (--pending.loads === 0) this.#pending.delete(key)
    }
    if (record !== undefined && pending.writes === writesBefore) {
      await guardCache('save', () => this.#cache.save(record))
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
      guardCache('close', async () => this.#cache.close?.()),
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
    operation: string,
    write: () => Promise<boolean>,
    cached?: SessionRecord
  ): Promise<boolean> {
    let written: boolean
    try {
      written = await write()
    } catch (cause) {
      this.#settled(key)
      // The backing store's state is now unknown, so the cached copy goes. If the cache fails
      // too, the backing store's failure is still the one to report; a copy left behind is at
      // worst stale, and the next compare-and-set `save` catches that.
      try {
        await this.#cache.delete(key)
      } catch {
        // reported through the backing store's failure below
      }
      throw storeFailure(operation, cause)
    }
    this.#settled(key)
    if (written && cached !== undefined) {
      await guardCache('save', () => this.#cache.save(cached))
    } else {
      await guardCache('delete', () => this.#cache.delete(key))
    }
    return written
  }

  /** Tells the loads of `key` in flight that a write settled: what they read may be stale. */
  #settled(key: string): void {
    const pending = this.#pending.get(key)
    if (pending !== undefined) pending.writes++
  }
}

/**
 * Runs a cache call, wrapping its failure as `STORE_UNAVAILABLE` with a message that says the
 * backing store's answer stood (a write may have reached it).
 */
async function guardCache<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (cause) {
    if (isSessionError(cause)) throw cause
    throw new SessionError(
      'STORE_UNAVAILABLE',
      `The cache of a CachingStore failed during ${operation}; check the cache store (see \`cause\`). The backing store was not rolled back: a write that reached it stands, and the cache may hold an older copy until it expires.`,
      { cause }
    )
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

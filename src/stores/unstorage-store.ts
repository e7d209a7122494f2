import { SessionError, attemptStore, corruptRecord } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { KeyQueue } from './key-queue.js'
import { recordKeyOf, storageKeyOf } from './unstorage-keys.js'
import { decodeRecordText } from './record-json.js'

/**
 * The part of an unstorage `Storage` (`createStorage({ driver })`) the store uses. Declared here
 * rather than imported, so the store never loads unstorage.
 */
export interface UnstorageStorage {
  getItem(key: string): Promise<unknown>
  setItem(key: string, value: string, options?: { ttl?: number }): Promise<void>
  removeItem(key: string): Promise<void>
  getKeys(base?: string): Promise<string[]>
}

/** Options of `UnstorageStore`. */
export interface UnstorageStoreOptions {
  /**
   * The key segment every session is stored under (`<prefix>:<record key>`); `scan` and
   * `deleteExpired` read only keys under it. Letters, digits, `_`, `-`, and `:` between segments.
   * @default 'session'
   */
  prefix?: string
}

const DEFAULT_PREFIX = 'session'
/** Tags the stored text: unstorage's `destr` would parse (and strip `__proto__` from) bare JSON. */
const FORMAT_TAG = 'ts1'
function encode(record: SessionRecord): string {
  return `${FORMAT_TAG}${JSON.stringify({
    key: record.key,
    version: record.version,
    expiresAt: record.expiresAt,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    expiry: record.expiry,
    token: record.token,
    data: record.data,
  })}`
}

/**
 * The record in a stored value, under `key` (the key of the item it was read from, never one
 * written inside the value); `corruptRecord` if it is not one this store wrote.
 */
function decode(key: string, value: unknown): SessionRecord {
  if (typeof value !== 'string' || !value.startsWith(FORMAT_TAG)) {
    throw corruptRecord(key, new TypeError('the value was not written by UnstorageStore'))
  }
  return decodeRecordText(key, value.slice(FORMAT_TAG.length))
}

function decodeOrUndefined(key: string, value: unknown): SessionRecord | undefined {
  if (value === null || value === undefined) return undefined
  try {
    return decode(key, value)
  } catch {
    return undefined
  }
}

/**
 * A session store over an unstorage `Storage`, so over any of its drivers (Redis, Vercel KV,
 * Netlify Blobs, Cloudflare KV, S3, the file system, LRU, memory, …). Each record is one item,
 * `<prefix>:<record key>`, holding the record as tagged JSON text, written with a native TTL
 * (`ttl`, seconds) where the driver supports one; `load` checks `expiresAt` in any case.
 *
 * **No compare-and-set across instances.** unstorage has no conditional write, so a conditional
 * `save` is a read, a version check, then a write: best effort. Saves of one session through
 * this store instance are queued one after another, so within one process the check holds
 * exactly; between processes (or store instances) two saves of one version can both succeed and
 * the later write wins. Use a store with a real compare-and-set when several instances write
 * the same sessions concurrently. Consistency is the driver's: on an eventually consistent
 * backend a read may not see the latest write.
 * @example
 * import { createStorage } from 'unstorage'
 * import redisDriver from 'unstorage/drivers/redis'
 * import { UnstorageStore } from 'typed-sessions/unstorage'
 *
 * const storage = createStorage({ driver: redisDriver({ url: process.env.REDIS_URL }) })
 * const store = new UnstorageStore(storage, { prefix: 'session' })
 */
export class UnstorageStore implements SessionStore {
  readonly #storage: UnstorageStorage
  readonly #prefix: string
  readonly #queue = new KeyQueue()

  constructor(storage: UnstorageStorage, options: UnstorageStoreOptions = {}) {
    if (
      typeof storage !== 'object' ||
      storage === null ||
      typeof storage.getItem !== 'function' ||
      typeof storage.getKeys !== 'function'
    ) {
      throw new SessionError(
        'CONFIG',
        'UnstorageStore takes an unstorage Storage, e.g. new UnstorageStore(createStorage({ driver })).'
      )
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*$/.test(prefix)) {
      throw new SessionError(
        'CONFIG',
        `UnstorageStore options.prefix takes segments of letters, digits, _ and - joined by ':', so scan reads only sessions; got ${JSON.stringify(prefix)}. Omit it for '${DEFAULT_PREFIX}'.`
      )
    }
    this.#storage = storage
    this.#prefix = prefix
  }

  /** The key segment this store's items are stored under. */
  get prefix(): string {
    return this.#prefix
  }

  /**
   * Writes the record unless a live one has its key: a read, then a write (queued per session
   * in this instance; between instances not atomic, see the class notes).
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const item = this.#item(record.key)
    return attemptStore('create', () =>
      this.#queue.run(item, async () => {
        const value = await this.#storage.getItem(item)
        if (value !== null && value !== undefined) {
          // An undecodable value still holds the key: the engine draws another id.
          const current = decodeOrUndefined(record.key, value)
          if (current === undefined || current.expiresAt > Date.now()) return false
        }
        await this.#write(item, record)
        return true
      })
    )
  }

  /**
   * The record with this key, or `undefined` if it is missing or expired: one `getItem`.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    return attemptStore('load', async () => {
      const value = await this.#storage.getItem(this.#item(key))
      if (value === null || value === undefined) return undefined
      const record = decode(key, value)
      return record.expiresAt > Date.now() ? record : undefined
    })
  }

  /**
   * Without `expectedVersion`, one `setItem`. With it, best effort: `getItem`, a check that the
   * record is live at that version, then `setItem`; exact within this instance (saves of one
   * session are queued), not between instances. See the class notes.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const item = this.#item(record.key)
    return attemptStore('save', () =>
      this.#queue.run(item, async () => {
        if (expectedVersion !== undefined) {
          const current = decodeOrUndefined(record.key, await this.#storage.getItem(item))
          if (current?.version !== expectedVersion || current.expiresAt <= Date.now()) return false
        }
        await this.#write(item, record)
        return true
      })
    )
  }

  /**
   * Removes the item; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    const item = this.#item(key)
    await attemptStore('delete', () => this.#queue.run(item, () => this.#storage.removeItem(item)))
  }

  /**
   * Removes every expired item under the prefix and returns how many: one `getKeys`, then a read
   * of each item. Drivers with a native TTL remove most of them by themselves.
   * @example setInterval(() => void store.deleteExpired(), 10 * 60_000)
   */
  async deleteExpired(): Promise<number> {
    return attemptStore('deleteExpired', async () => {
      let deleted = 0
      for (const item of await this.#storage.getKeys(this.#prefix)) {
        const removed = await this.#queue.run(item, async () => {
          const record = decodeOrUndefined(item, await this.#storage.getItem(item))
          if (record === undefined || record.expiresAt > Date.now()) return false
          await this.#storage.removeItem(item)
          return true
        })
        if (removed) deleted++
      }
      return deleted
    })
  }

  /**
   * Every live record under the prefix, each exactly once: one `getKeys`, then `batchSize`
   * concurrent `getItem`s at a time. An item that cannot be decoded is skipped; one created
   * during the scan is not yielded.
   * @example for await (const record of store.scan({ batchSize: 100 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    const items = await attemptStore('scan', () => this.#storage.getKeys(this.#prefix))
    for (let start = 0; start < items.length; start += batchSize) {
      const batch = items.slice(start, start + batchSize)
      const values = await attemptStore('scan', () =>
        Promise.all(batch.map((item) => this.#storage.getItem(item)))
      )
      const now = Date.now()
      for (const [i, value] of values.entries()) {
        const key = this.#recordKeyOf(batch[i] ?? '')
        const record = key === undefined ? undefined : decodeOrUndefined(key, value)
        if (record !== undefined && record.expiresAt > now) yield record
      }
    }
  }

  #item(key: string): string {
    return `${this.#prefix}:${storageKeyOf(key)}`
  }

  /** The record key of an item `getKeys` listed, or `undefined` for an item this store never names. */
  #recordKeyOf(item: string): string | undefined {
    const head = `${this.#prefix}:`
    return item.startsWith(head) ? recordKeyOf(item.slice(head.length)) : undefined
  }

  #write(item: string, record: SessionRecord): Promise<void> {
    // unstorage's TTL is in seconds; at least 1, as 0 means "no expiry" to its drivers.
    const ttl = Math.max(1, Math.ceil((record.expiresAt - Date.now()) / 1000))
    return this.#storage.setItem(item, encode(record), { ttl })
  }
}

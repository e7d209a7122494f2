import { SessionError, attemptStore } from '../../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../../core/store.js'
import { decodeRecordText, encodeRecord } from '../record-json.js'
import { ifCorrupt } from '../stored-record.js'
import type { KvNamespaceBinding } from './bindings.js'

/** Options of `KvStore`. */
export interface KvStoreOptions {
  /**
   * Prepended to every record key, so one namespace can hold other data too; `scan` reads only
   * keys with it. Not empty.
   * @default 'session:'
   */
  prefix?: string
}

const DEFAULT_PREFIX = 'session:'
/** Workers KV refuses an expiration less than 60 seconds ahead. */
const MIN_TTL_SECONDS = 60
/** Keys per `list` page: the most Workers KV returns. */
const LIST_LIMIT = 1000

/**
 * A session store in Workers KV, through the Worker's binding: one key per session,
 * `<prefix><record key>`, holding the record as JSON, removed by KV's native expiration.
 *
 * **What KV cannot do, plainly:**
 * - **No compare-and-set.** KV has no conditional write. `save(record, expectedVersion)` reads
 *   the stored version and writes only if it matched: best effort, not atomic. Two requests of one
 *   session that save at the same moment can both succeed, and the last write wins. `create`
 *   likewise checks, then writes (with 128-bit ids a collision is not a practical concern).
 * - **Eventually consistent.** A write is seen at once where it was made, but can take 60 seconds
 *   or more to be seen from other locations: a login or a logout may not be visible to the user's
 *   next request if it lands elsewhere. Prefer `D1Store` or `DurableObjectStore` when that matters.
 * - **TTL of at least 60 seconds.** KV refuses shorter expirations, so a record's KV expiration is
 *   at least 60 s ahead; the store itself hides it from `load` from its `expiresAt` on.
 * @example
 * import { KvStore } from 'typed-sessions/cloudflare'
 *
 * // wrangler.toml: [[kv_namespaces]] binding = "SESSIONS_KV", id = "…"
 * const store = new KvStore(env.SESSIONS_KV, { prefix: 'session:' })
 */
export class KvStore implements SessionStore {
  readonly #kv: KvNamespaceBinding
  readonly #prefix: string

  constructor(namespace: KvNamespaceBinding, options: KvStoreOptions = {}) {
    if (
      typeof namespace !== 'object' ||
      namespace === null ||
      typeof namespace.put !== 'function'
    ) {
      throw new SessionError(
        'CONFIG',
        'KvStore takes a Workers KV namespace binding, e.g. new KvStore(env.SESSIONS_KV) with [[kv_namespaces]] binding = "SESSIONS_KV" in wrangler.toml.'
      )
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX
    if (typeof prefix !== 'string' || prefix === '') {
      throw new SessionError(
        'CONFIG',
        `KvStore options.prefix takes a non-empty string, so that scan reads only sessions and no record key names other data of the namespace; got ${JSON.stringify(prefix)}. Omit it for '${DEFAULT_PREFIX}'.`
      )
    }
    this.#kv = namespace
    this.#prefix = prefix
  }

  /**
   * Writes the record if no live record has its key. Check-then-write: not atomic (KV has no
   * conditional write).
   */
  async create(record: SessionRecord): Promise<boolean> {
    return attemptStore('create', async () => {
      if ((await this.#read(record.key)) !== undefined) return false
      await this.#write(record)
      return true
    })
  }

  /** The record with this key, or `undefined` if it is missing or expired. */
  async load(key: string): Promise<SessionRecord | undefined> {
    return attemptStore('load', () => this.#read(key))
  }

  /**
   * Without `expectedVersion`: an upsert. With it: **best effort**, not a compare-and-set. The
   * stored version is read and the record written only if it matched, but another write can land
   * between the read and the write (and, from another location, a stale version can be read).
   * `false` when the read version differs or the record is gone.
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return attemptStore('save', async () => {
      if (expectedVersion !== undefined) {
        const current = await this.#read(record.key)
        if (current?.version !== expectedVersion) return false
      }
      await this.#write(record)
      return true
    })
  }

  /** Deletes the record with this key; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', () => this.#kv.delete(this.#prefix + key))
  }

  /**
   * Every live record under the prefix, through `list` (1000 keys a page) and one `get` per key;
   * a value that cannot be decoded is skipped. Eventually consistent like every KV read: a key written elsewhere in the last minute may be
   * missing, and a deleted one may still be listed (it is then skipped).
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let cursor: string | undefined
    for (;;) {
      const page = await attemptStore('scan', () =>
        this.#kv.list({
          prefix: this.#prefix,
          limit: Math.min(batchSize, LIST_LIMIT),
          ...(cursor === undefined ? {} : { cursor }),
        })
      )
      // A value that cannot be decoded is skipped: its session reads as invalid on load.
      const records = await attemptStore('scan', () =>
        Promise.all(
          page.keys.map(({ name }) =>
            this.#read(name.slice(this.#prefix.length)).catch(ifCorrupt(undefined))
          )
        )
      )
      for (const record of records) if (record !== undefined) yield record
      if (page.list_complete || page.cursor === undefined) return
      cursor = page.cursor
    }
  }

  async #read(key: string): Promise<SessionRecord | undefined> {
    const text = await this.#kv.get(this.#prefix + key, 'text')
    if (text === null) return undefined
    const record = decodeRecordText(key, text)
    return record.expiresAt > Date.now() ? record : undefined
  }

  async #write(record: SessionRecord): Promise<void> {
    // KV's expiration is in whole seconds and at least 60 s ahead; `#read` hides the record from
    // its exact `expiresAt` on, whatever KV keeps a little longer.
    const floor = Math.ceil(Date.now() / 1000) + MIN_TTL_SECONDS
    const expiration = Math.max(Math.ceil(record.expiresAt / 1000), floor)
    await this.#kv.put(this.#prefix + record.key, encodeRecord(record), { expiration })
  }
}

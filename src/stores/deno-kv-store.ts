import { SessionError, attemptStore, corruptRecord } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { decodeRecordText, encodeRecord } from './record-json.js'
import { ifCorrupt } from './stored-record.js'

/** A Deno KV key part; keys are arrays of them. */
export type DenoKvKeyPart = string | number | bigint | boolean | Uint8Array

/** One Deno KV entry as `get` returns it (`versionstamp` null when the key is absent). */
export interface DenoKvEntryMaybe {
  key: readonly DenoKvKeyPart[]
  value: unknown
  versionstamp: string | null
}

/** The part of `Deno.AtomicOperation` the store uses. */
export interface DenoKvAtomic {
  check(...checks: { key: readonly DenoKvKeyPart[]; versionstamp: string | null }[]): DenoKvAtomic
  set(key: readonly DenoKvKeyPart[], value: unknown, options?: { expireIn?: number }): DenoKvAtomic
  delete(key: readonly DenoKvKeyPart[]): DenoKvAtomic
  commit(): Promise<{ ok: boolean }>
}

/** The part of a `Deno.Kv` (from `Deno.openKv()`) the store uses. */
export interface DenoKvDatabase {
  get(key: readonly DenoKvKeyPart[]): Promise<DenoKvEntryMaybe>
  getMany(keys: readonly (readonly DenoKvKeyPart[])[]): Promise<DenoKvEntryMaybe[]>
  atomic(): DenoKvAtomic
  list(
    selector: { prefix: readonly DenoKvKeyPart[] },
    options?: { batchSize?: number }
  ): AsyncIterable<DenoKvEntryMaybe>
}

/** Options of `DenoKvStore`. */
export interface DenoKvStoreOptions {
  /**
   * The key prefix of every entry the store writes, so one database can hold other data too.
   * @default ['typed-sessions']
   */
  prefix?: readonly DenoKvKeyPart[]
}

/** The head entry of a session: what a compare-and-set checks, and where the record is. */
interface Head {
  expiresAt: number
  version: number
  /** The owner the record is bound to: whose index entry a replacing write deletes. */
  owner?: string
  /** The record's JSON, when it fits one entry. */
  text?: string
  /** Otherwise the id of the write whose chunks hold it, and how many there are. */
  write?: string
  chunks?: number
}

// Deno KV values are at most 64 KiB; an atomic operation carries at most 800 KiB. A larger record
// is written as immutable chunks under a fresh write id first, then published by the head's
// atomic compare-and-set: readers never see half a record, and a lost race leaves only chunks
// that are deleted (and expire anyway).
const CHUNK_BYTES = 60_000
const CHUNKS_PER_OPERATION = 10
const MAX_READ_ATTEMPTS = 5
/** Attempts of a delete that other writers keep overtaking. */
const MAX_DELETE_ATTEMPTS = 100
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * A session store in Deno KV (`Deno.openKv()`, local SQLite or Deno Deploy). `create` and a
 * compare-and-set `save` are atomic operations that check the head entry's versionstamp, so a
 * concurrent write makes them fail cleanly (strongly consistent on Deno Deploy too: reads here
 * use the default strong consistency). Entries carry Deno KV's native `expireIn`, and `load`
 * hides a record from its `expiresAt` on, since KV deletes expired keys lazily. Records larger
 * than one 64 KiB entry are stored in chunks. The sessions bound to a user (`listOwner`) are
 * indexed by an entry `[...prefix, 'owner', owner, key]` per record, set, moved and deleted in the
 * same atomic operation as the record's head, with the head's `expireIn`: Deno KV's own expiry
 * removes both together.
 * @example
 * import { DenoKvStore } from 'typed-sessions/deno-kv'
 *
 * const store = new DenoKvStore(await Deno.openKv(), { prefix: ['sessions'] })
 */
export class DenoKvStore implements SessionStore {
  readonly #kv: DenoKvDatabase
  readonly #prefix: readonly DenoKvKeyPart[]

  constructor(kv: DenoKvDatabase, options: DenoKvStoreOptions = {}) {
    if (typeof kv !== 'object' || kv === null || typeof kv.atomic !== 'function') {
      throw new SessionError(
        'CONFIG',
        'DenoKvStore takes a Deno.Kv, e.g. new DenoKvStore(await Deno.openKv()).'
      )
    }
    this.#kv = kv
    this.#prefix = options.prefix ?? ['typed-sessions']
  }

  /** Inserts the record if no live record has its key; an expired one is replaced. */
  async create(record: SessionRecord): Promise<boolean> {
    return attemptStore('create', async () => {
      const entry = await this.#kv.get(this.#headKey(record.key))
      if (isLive(entry)) return false
      return this.#publish(record, entry)
    })
  }

  /** The record with this key, or `undefined` if it is missing or expired. */
  async load(key: string): Promise<SessionRecord | undefined> {
    return attemptStore('load', () => this.#read(key))
  }

  /**
   * Without `expectedVersion`, an upsert. With it, an atomic compare-and-set: the head entry is
   * written only if it still has the versionstamp of the live record read with that version.
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return attemptStore('save', async () => {
      const entry = await this.#kv.get(this.#headKey(record.key))
      if (expectedVersion !== undefined) {
        if (!isLive(entry) || (entry.value as Head).version !== expectedVersion) return false
      }
      return this.#publish(record, entry)
    })
  }

  /**
   * Deletes the record with this key and its index entry, in one atomic operation that checks
   * the head read first (a save in between may have bound it anew: then it reads again); a
   * missing key is not an error.
   */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', async () => {
      for (let attempt = 0; attempt < MAX_DELETE_ATTEMPTS; attempt++) {
        const entry = await this.#kv.get(this.#headKey(key))
        if (entry.versionstamp === null) return
        const head = entry.value as Head
        const operation = this.#kv
          .atomic()
          .check({ key: entry.key, versionstamp: entry.versionstamp })
          .delete(entry.key)
        if (typeof head.owner === 'string') operation.delete(this.#ownerKey(head.owner, key))
        if ((await operation.commit()).ok) return this.#deleteChunks(key, head)
      }
      throw new Error(`other writers kept changing the record ${key}`)
    })
  }

  /**
   * The live records bound to `owner`: one list of its index entries, then each record's head
   * (and chunks), kept when it is live and still bound to `owner`.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    return attemptStore('listOwner', async () => {
      const keys: string[] = []
      for await (const entry of this.#kv.list({ prefix: this.#ownerPrefix(owner) })) {
        keys.push(String(entry.key.at(-1)))
      }
      const records = await Promise.all(
        // A record that cannot be decoded is left out; a failure of Deno KV fails the listing.
        keys.map((key) => this.#read(key).catch(ifCorrupt(undefined)))
      )
      return records.filter((record) => record?.owner === owner) as SessionRecord[]
    })
  }

  /**
   * Every live record under the prefix, in key order, listed `batchSize` entries at a time.
   * @example for await (const record of store.scan()) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = Math.min(batchSizeOf(options.batchSize, 'scan options.batchSize'), 500)
    const entries = this.#kv.list({ prefix: [...this.#prefix, 'record'] }, { batchSize })
    const iterator = entries[Symbol.asyncIterator]()
    for (;;) {
      const next = await attemptStore('scan', () => iterator.next())
      if (next.done === true) return
      const key = String(next.value.key.at(-1))
      const record = isLive(next.value)
        ? await attemptStore('scan', () => this.#read(key))
        : undefined
      if (record !== undefined) yield record
    }
  }

  #headKey(key: string): DenoKvKeyPart[] {
    return [...this.#prefix, 'record', key]
  }

  #ownerPrefix(owner: string): DenoKvKeyPart[] {
    return [...this.#prefix, 'owner', owner]
  }

  #ownerKey(owner: string, key: string): DenoKvKeyPart[] {
    return [...this.#ownerPrefix(owner), key]
  }

  #chunkKey(key: string, write: string, index: number): DenoKvKeyPart[] {
    return [...this.#prefix, 'chunk', key, write, index]
  }

  async #read(key: string): Promise<SessionRecord | undefined> {
    // A chunked record can be replaced between reading its head and its chunks: read again.
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get(this.#headKey(key))
      if (!isLive(entry)) return undefined
      const head = entry.value as Head
      if (head.text !== undefined) return decodeRecordText(key, head.text)
      const bytes = await this.#readChunks(key, head)
      if (bytes !== undefined) return decodeRecordText(key, decoder.decode(bytes))
    }
    throw corruptRecord(key, new Error('its chunks kept changing or are missing'))
  }

  async #readChunks(key: string, head: Head): Promise<Uint8Array | undefined> {
    const { write = '', chunks = 0 } = head
    const parts: Uint8Array[] = []
    for (let start = 0; start < chunks; start += CHUNKS_PER_OPERATION) {
      const keys = []
      for (let i = start; i < Math.min(chunks, start + CHUNKS_PER_OPERATION); i++) {
        keys.push(this.#chunkKey(key, write, i))
      }
      for (const entry of await this.#kv.getMany(keys)) {
        if (!(entry.value instanceof Uint8Array)) return undefined
        parts.push(entry.value)
      }
    }
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
    let offset = 0
    for (const part of parts) {
      bytes.set(part, offset)
      offset += part.length
    }
    return bytes
  }

  /**
   * Writes the record's head (after its chunks) if the head is still `current`, and in the same
   * atomic operation its owner's index entry (its value the record's `expiresAt`), deleting the
   * one of the owner the write replaces.
   */
  async #publish(record: SessionRecord, current: DenoKvEntryMaybe): Promise<boolean> {
    const text = encodeRecord(record)
    // Deno KV refuses expireIn <= 0; an already expired record gets 1 ms (load hides it anyway).
    const expireIn = Math.max(1, record.expiresAt - Date.now())
    const head: Head = { expiresAt: record.expiresAt, version: record.version }
    if (record.owner !== undefined) head.owner = record.owner
    const bytes = encoder.encode(text)
    if (bytes.length <= CHUNK_BYTES) head.text = text
    else await this.#writeChunks(record.key, bytes, head, expireIn)
    const key = this.#headKey(record.key)
    const operation = this.#kv
      .atomic()
      .check({ key, versionstamp: current.versionstamp })
      .set(key, head, { expireIn })
    const from = current.versionstamp === null ? undefined : (current.value as Head | null)?.owner
    if (typeof from === 'string' && from !== record.owner) {
      operation.delete(this.#ownerKey(from, record.key))
    }
    if (record.owner !== undefined) {
      operation.set(this.#ownerKey(record.owner, record.key), record.expiresAt, { expireIn })
    }
    const { ok } = await operation.commit()
    if (!ok) await this.#deleteChunks(record.key, head)
    else if (current.versionstamp !== null)
      await this.#deleteChunks(record.key, current.value as Head)
    return ok
  }

  async #writeChunks(key: string, bytes: Uint8Array, head: Head, expireIn: number) {
    head.write = crypto.randomUUID()
    head.chunks = Math.ceil(bytes.length / CHUNK_BYTES)
    for (let start = 0; start < head.chunks; start += CHUNKS_PER_OPERATION) {
      const operation = this.#kv.atomic()
      for (let i = start; i < Math.min(head.chunks, start + CHUNKS_PER_OPERATION); i++) {
        const chunk = bytes.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)
        operation.set(this.#chunkKey(key, head.write, i), chunk, { expireIn })
      }
      const { ok } = await operation.commit()
      if (!ok) throw new Error('Deno KV refused to write a chunk of the record')
    }
  }

  async #deleteChunks(key: string, head: Head): Promise<void> {
    if (head.write === undefined || head.chunks === undefined) return
    for (let start = 0; start < head.chunks; start += CHUNKS_PER_OPERATION) {
      const operation = this.#kv.atomic()
      for (let i = start; i < Math.min(head.chunks, start + CHUNKS_PER_OPERATION); i++) {
        operation.delete(this.#chunkKey(key, head.write, i))
      }
      await operation.commit()
    }
  }
}

/** True for an entry holding a head whose record has not expired. */
function isLive(entry: DenoKvEntryMaybe): boolean {
  if (entry.versionstamp === null) return false
  const head = entry.value as Head | null
  return typeof head?.expiresAt === 'number' && head.expiresAt > Date.now()
}

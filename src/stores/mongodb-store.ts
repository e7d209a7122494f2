import { SessionError, attemptStore } from '../core/errors.js'
import { decodableRecords, decodeRecord } from './stored-record.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'

type Filter = Record<string, unknown>

/**
 * The part of a `mongodb` driver `Collection` the store uses (a `Collection` fits it as it is).
 * Declared here rather than imported, so the store never loads the driver.
 */
export interface MongoCollection {
  findOne(filter: Filter): Promise<unknown>
  find(
    filter: Filter,
    options: { sort?: Filter; limit?: number; hint?: string }
  ): { toArray(): Promise<unknown[]> }
  updateOne(
    filter: Filter,
    update: Filter,
    options?: { upsert?: boolean }
  ): Promise<{ matchedCount: number; upsertedCount: number }>
  deleteOne(filter: Filter): Promise<unknown>
  createIndex(
    keys: Record<string, 1>,
    options: { name: string; expireAfterSeconds?: number; sparse?: boolean }
  ): Promise<string>
}

/** A stored session: `_id` is the record key; `expiresAt` is a BSON date for the TTL index. */
interface SessionDocument {
  _id: string
  version: number
  expiresAt: Date
  createdAt: number
  schemaVersion: number
  expiry?: unknown
  token?: string
  /** The owner key of the user the session is bound to, indexed by `MONGO_OWNER_INDEX`. */
  owner?: string
  /** The session data as JSON text: exact, and free of BSON's rules for field names. */
  data: string
}

/** The name of the TTL index `migrate` creates. */
export const MONGO_TTL_INDEX = 'expiresAt_ttl'

/**
 * The name of the index on `owner` that `migrate` creates (sparse: unbound sessions are not in
 * it), and the first listing too if it is absent.
 */
export const MONGO_OWNER_INDEX = 'owner'

/** MongoDB's duplicate-key error: a concurrent or live record holds the `_id`. */
const DUPLICATE_KEY = 11000

/** `$set` of every field of the record, `$unset` of the optional ones it lacks. */
function updateOf(record: SessionRecord): Filter {
  const set: Omit<SessionDocument, '_id'> = {
    version: record.version,
    expiresAt: new Date(record.expiresAt),
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    data: JSON.stringify(record.data),
  }
  const unset: Record<string, ''> = {}
  if (record.expiry === undefined) unset['expiry'] = ''
  else set.expiry = { ...record.expiry }
  if (record.token === undefined) unset['token'] = ''
  else set.token = record.token
  if (record.owner === undefined) unset['owner'] = ''
  else set.owner = record.owner
  return Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set }
}

/**
 * The record of a document, under `key` (its `_id`); a document it cannot decode throws
 * `corruptRecord`.
 */
function recordOf(key: string, document: SessionDocument): SessionRecord {
  return decodeRecord(key, {
    data: document.data,
    createdAt: document.createdAt,
    expiresAt: document.expiresAt instanceof Date ? document.expiresAt.getTime() : undefined,
    version: document.version,
    schemaVersion: document.schemaVersion,
    expiry: document.expiry,
    token: document.token,
    owner: document.owner,
  })
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY
}

/** MongoDB's answer to a `hint` naming an index the collection does not have. */
function isMissingIndex(error: unknown): boolean {
  return (
    error instanceof Error &&
    /hint provided does not correspond to an existing index/i.test(error.message)
  )
}

/**
 * A session store in MongoDB, in a collection of the application's own `mongodb` client. One
 * document per session, `_id` the record key. Compare-and-set is one `updateOne` filtered on
 * `_id`, `version` and `expiresAt`, atomic on its document. `migrate()` creates a TTL index on
 * `expiresAt`, so MongoDB deletes expired sessions itself (its monitor runs once a minute);
 * `load` and `scan` check `expiresAt` too. The sessions bound to a user (`listOwner`) are found
 * by a sparse index on `owner`, which MongoDB updates in the same atomic write as the document.
 * Reads go to the primary: pass a collection whose read preference is `primary` (the default),
 * or compare-and-set may act on stale reads and a listing may miss a session bound a moment ago.
 *
 * Not tested on this project's machines (no MongoDB-compatible server installs here): its
 * conformance tests run wherever `MONGODB_URL` points at a server.
 * @example
 * import { MongoClient } from 'mongodb'
 * const client = await new MongoClient(process.env.MONGODB_URL!).connect()
 * const store = new MongoStore(client.db('app').collection('sessions'))
 * await store.migrate()
 */
export class MongoStore implements SessionStore {
  readonly #collection: MongoCollection

  constructor(collection: MongoCollection) {
    const methods = ['findOne', 'find', 'updateOne', 'deleteOne', 'createIndex'] as const
    if (
      typeof collection !== 'object' ||
      collection === null ||
      !methods.every((method) => typeof collection[method] === 'function')
    ) {
      throw new SessionError(
        'CONFIG',
        "MongoStore takes a collection of the mongodb driver (client.db('app').collection('sessions'))."
      )
    }
    this.#collection = collection
  }

  /**
   * Creates the TTL index on `expiresAt` (`expireAfterSeconds: 0`) and the sparse index on
   * `owner`, each if absent. On a collection of the previous release it adds the `owner` index
   * (built over the sessions already there, none of which is bound).
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    await attemptStore('migrate', async () => {
      await this.#collection.createIndex(
        { expiresAt: 1 },
        { name: MONGO_TTL_INDEX, expireAfterSeconds: 0 }
      )
      await this.#createOwnerIndex()
    })
  }

  /**
   * Inserts the record unless a live one has its key: one upserting `updateOne` that matches
   * only an expired document; a live one makes the insert fail on its `_id` (`false`).
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const filter = { _id: record.key, expiresAt: { $lte: new Date() } }
    return attemptStore('create', async () => {
      try {
        await this.#collection.updateOne(filter, updateOf(record), { upsert: true })
        return true
      } catch (error) {
        if (isDuplicateKey(error)) return false
        throw error
      }
    })
  }

  /**
   * The record with this key, or `undefined` if missing or expired: one `findOne`. A document
   * it cannot decode throws `INVALID_STORED_DATA`.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const document = await attemptStore('load', () => this.#collection.findOne({ _id: key }))
    if (document === null || document === undefined) return undefined
    const record = recordOf(key, document as SessionDocument)
    return record.expiresAt > Date.now() ? record : undefined
  }

  /**
   * Without `expectedVersion`, an upserting `updateOne`. With it, an `updateOne` filtered on
   * `version` and a future `expiresAt`: `false` when the document is missing, expired or at
   * another version.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    if (expectedVersion === undefined) {
      await attemptStore('save', () =>
        this.#collection.updateOne({ _id: record.key }, updateOf(record), { upsert: true })
      )
      return true
    }
    const filter = { _id: record.key, version: expectedVersion, expiresAt: { $gt: new Date() } }
    const result = await attemptStore('save', () =>
      this.#collection.updateOne(filter, updateOf(record))
    )
    return result.matchedCount === 1
  }

  /**
   * Deletes the document with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', () => this.#collection.deleteOne({ _id: key }))
  }

  /**
   * The live records bound to `owner`: one `find` on `owner` and a future `expiresAt`, hinted to
   * the `owner` index, so it reads the owner's documents only and never scans the collection.
   * When the index is absent (a collection `migrate` of the previous release made), it is
   * created, then the `find` runs again. Documents it cannot decode are skipped.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    const find = () =>
      this.#collection
        .find({ owner, expiresAt: { $gt: new Date() } }, { hint: MONGO_OWNER_INDEX })
        .toArray()
    const documents = (await attemptStore('listOwner', async () => {
      try {
        return await find()
      } catch (error) {
        if (!isMissingIndex(error)) throw error
        await this.#createOwnerIndex()
        return find()
      }
    })) as SessionDocument[]
    const now = Date.now()
    return decodableRecords(
      documents.filter((document) => typeof document._id === 'string'),
      (document) => recordOf(document._id, document)
    ).filter((record) => record.owner === owner && record.expiresAt > now)
  }

  #createOwnerIndex(): Promise<string> {
    return this.#collection.createIndex({ owner: 1 }, { name: MONGO_OWNER_INDEX, sparse: true })
  }

  /**
   * Every live record of the collection, each once, in `_id` order: one `find` per batch for
   * the live documents after the last `_id` seen. Documents it cannot decode are skipped.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let after: string | undefined
    for (;;) {
      const live = { expiresAt: { $gt: new Date() } }
      const filter = after === undefined ? live : { ...live, _id: { $gt: after } }
      const batch = (await attemptStore('scan', () =>
        this.#collection.find(filter, { sort: { _id: 1 }, limit: batchSize }).toArray()
      )) as SessionDocument[]
      const now = Date.now()
      for (const document of batch) {
        let record: SessionRecord | undefined
        try {
          // A document of another kind (an ObjectId `_id`) is no session of this store.
          record = typeof document._id === 'string' ? recordOf(document._id, document) : undefined
        } catch {
          record = undefined
        }
        if (record !== undefined && record.expiresAt > now) yield record
      }
      const last = batch.at(-1)?._id
      if (batch.length < batchSize || typeof last !== 'string') return
      after = last
    }
  }
}

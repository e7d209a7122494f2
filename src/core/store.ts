import { SessionError } from './errors.js'
import type { Expiry } from './expiry.js'
import type { JsonObject } from './json.js'

/** One stored session, as every store persists it. Times are epoch milliseconds. */
export interface SessionRecord {
  /** SHA-256 of the session id, base64url: stores never see the raw id. */
  key: string
  /** The session data: a JSON object. */
  data: JsonObject
  createdAt: number
  /** The store hides the record from `load` from this instant on. */
  expiresAt: number
  /** Counts saves: `create` writes 0, each compare-and-set `save` writes `expectedVersion + 1`. */
  version: number
  /** Position of the session schema (in its migration chain) the data was written under. */
  schemaVersion: number
  /** The per-session expiry set with `setExpiry`, if any. */
  expiry?: Expiry
  /**
   * A random string the engine writes with every `create` and `save`. Stores persist it with the
   * record and return it from `load` and `scan` unchanged: after a save whose reply was lost (the
   * store committed, the connection died), it is how the engine recognizes its own write and
   * does not apply the request's changes a second time.
   */
  token?: string
  /**
   * The owner key (`ownerKeyOf(userId)`) of the user the session is bound to, if any: sessions
   * per user (DESIGN.md §12). A store with `listOwner` persists it with the record, returns it
   * from `load`, `scan` and `listOwner` unchanged, and indexes the record under it. Markers
   * (records a login or logout leaves for racing requests) never carry one.
   */
  owner?: string
}

/** What the engine tells `create` about the record it inserts. */
export interface CreateOptions {
  /**
   * True when the record continues a session under a new id after `cycleId` (a login or a
   * privilege change) instead of starting one: a store that ranks records by use (the
   * MemoryStore under a flood) may rank it as a session its user already holds.
   */
  readonly cycled?: boolean
}

/** Options of `SessionStore.scan`. */
export interface ScanOptions {
  /** How many records a store fetches per round trip. @default store-specific */
  batchSize?: number
}

/**
 * The pluggable persistence under the session engine. Every store passes the shared
 * conformance suite in `test/stores/`.
 */
export interface SessionStore {
  /** Inserts the record if no record has its key; `false` if one exists (an id collision). */
  create(record: SessionRecord, options?: CreateOptions): Promise<boolean>
  /** The record with this key, or `undefined` if it is missing or expired. */
  load(key: string): Promise<SessionRecord | undefined>
  /**
   * Without `expectedVersion`: an upsert. With it: writes only if the stored record still has
   * that version (compare-and-set), and returns `false` otherwise (also when it is gone).
   */
  save(record: SessionRecord, expectedVersion?: number): Promise<boolean>
  /** Deletes the record with this key; a missing key is not an error. */
  delete(key: string): Promise<void>
  /** Deletes every expired record and returns how many it deleted. */
  deleteExpired?(): Promise<number>
  /** Every live record, each exactly once, in batches. */
  scan?(options?: ScanOptions): AsyncIterable<SessionRecord>
  /**
   * The live records bound to `owner` (their `owner` field equals it), each exactly once, in any
   * order, as fresh objects equal to what `load` returns. It reflects every `create`, `save` and
   * `delete` that completed before the call (read-your-writes, linearizable): it never lists a
   * record that is deleted, expired (its `expiresAt` has passed, even before `deleteExpired` or a
   * native TTL removed it) or re-bound (a later save gave it another owner or none), and never
   * misses one bound by a completed write. An index entry never outlives its record: a delete,
   * a save that changes or drops `owner`, `deleteExpired` and the store's own TTL remove it too.
   * It costs what the owner has (an index lookup), never a scan of the store.
   *
   * Present only on stores that keep the index atomically with the records; the engine refuses
   * to bind sessions (`CONFIG`) on a store without it.
   * @example const sessions = await store.listOwner?.(ownerKeyOf(user.id))
   */
  listOwner?(owner: string): Promise<SessionRecord[]>
  /** Releases what the store holds (timers, connections it owns). */
  close?(): Promise<void>
  /**
   * True for a store whose calls never wait on I/O (the MemoryStore): they settle in the same
   * turn, so the engine does not race them against `storeTimeout`. A store that talks to a
   * server, a file or another thread must leave it unset. @default false
   */
  readonly inProcess?: boolean
  /**
   * The most bytes of JSON one session's data may take in this store, when the store has such a
   * bound (the MemoryStore's share of its `maxBytes`): the engine's `maxSize` defaults to the
   * smaller of this and 1 MiB, so a value the store would refuse is refused at `set`.
   * @default undefined (no bound of the store's own)
   */
  readonly maxRecordSize?: number
}

/** How many records stores read or delete per round trip unless told otherwise. */
export const DEFAULT_BATCH_SIZE = 1000

/**
 * `batchSize` checked (an integer >= 1, else `SessionError` `CONFIG` naming `option`), or the
 * default when it is absent.
 */
export function batchSizeOf(batchSize: number | undefined, option: string): number {
  if (batchSize === undefined) return DEFAULT_BATCH_SIZE
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new SessionError(
      'CONFIG',
      `${option} takes an integer >= 1, got ${batchSize}. Omit it for ${DEFAULT_BATCH_SIZE}.`
    )
  }
  return batchSize
}

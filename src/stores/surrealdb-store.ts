import { BoundExcluded, RecordId, RecordIdRange, Table } from 'surrealdb'
import { contentOf, recordOf, type SessionDocument } from './surrealdb-record.js'
import { SessionError, attemptStore } from '../core/errors.js'
import { missingTable, runMigrate } from './missing-table.js'
import { decodableRecords } from './stored-record.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'

/**
 * The part of a `surrealdb` (v2 SDK) `Surreal` instance, or of one of its sessions, the store
 * uses: `query(...).collect()`. Connect it and select a namespace and database (`db.use`) first.
 */
export interface SurrealQueryable {
  query(query: string, bindings?: Record<string, unknown>): { collect(): Promise<unknown[]> }
}

/** Options of `SurrealStore`. */
export interface SurrealStoreOptions {
  /**
   * The table holding the sessions: a plain identifier (letters, digits, `_`). Its indexes
   * (created by `migrate`) are `<table>_expires_at` on `expiresAt` and `<table>_owner` on
   * `owner`.
   * @default 'sessions'
   */
  table?: string
}

const DEFAULT_TABLE = 'sessions'
/** How many times a statement runs when concurrent transactions keep conflicting with it. */
const CONFLICT_ATTEMPTS = 8

/**
 * SurrealDB's answer when a concurrent transaction wrote the same record first, on its
 * optimistic engines (SurrealKV, RocksDB, TiKV): nothing was written, and the statement, run
 * again, sees the winner's write. Its message says "This transaction can be retried".
 */
function isTransactionConflict(error: unknown): boolean {
  return error instanceof Error && /transaction conflict/i.test(error.message)
}

/** SurrealDB's answer to a statement on a table that was never defined (nor written to). */
function isMissingTable(error: unknown): boolean {
  return error instanceof Error && /\bThe table '[^']*' does not exist\b/.test(error.message)
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A session store in SurrealDB, through the application's own `Surreal` instance (v2 SDK): the
 * same code on a remote server and on an embedded engine (`@surrealdb/node`, `mem://` or
 * `surrealkv://`). One record `<table>:⟨key⟩` per session. Every write is one statement, atomic
 * on its record (and run again when an optimistic engine reports a transaction conflict):
 * `create` an `UPSERT ... WHERE` that only replaces an absent or expired record, compare-and-set
 * an `UPDATE ... WHERE version = $expected`. SurrealDB has no TTL: `load` and
 * `scan` skip expired records, and `deleteExpired` (run it on a schedule) removes them. The
 * sessions bound to a user (`listOwner`) are found by the index `<table>_owner` on `owner`,
 * which SurrealDB keeps in the transaction of each statement that writes a record.
 * @example
 * const db = new Surreal()
 * await db.connect('wss://db.example.com/rpc', { namespace: 'app', database: 'app', authentication })
 * const store = new SurrealStore(db, { table: 'sessions' })
 * await store.migrate()
 */
export class SurrealStore implements SessionStore {
  readonly #db: SurrealQueryable
  readonly #table: string
  /** The first listing's definition of the owner index, once per store. */
  #ownerIndexDefined: Promise<unknown> | undefined

  constructor(db: SurrealQueryable, options: SurrealStoreOptions = {}) {
    if (typeof db !== 'object' || db === null || typeof db.query !== 'function') {
      throw new SessionError(
        'CONFIG',
        'SurrealStore takes a connected Surreal instance from the surrealdb SDK (new Surreal(), then connect and use).'
      )
    }
    const table = options.table ?? DEFAULT_TABLE
    if (typeof table !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
      throw new SessionError(
        'CONFIG',
        `SurrealStore options.table takes a plain identifier (letters, digits, _), got ${JSON.stringify(table)}. Omit it for '${DEFAULT_TABLE}'.`
      )
    }
    this.#db = db
    this.#table = table
  }

  /**
   * Defines the table (schemaless) and its indexes on `expiresAt` and on `owner`, each if
   * absent. Run it once before the store is used: SurrealDB 3 refuses an `UPDATE` on a table
   * that does not exist. On a table of the previous release it adds the `owner` index (built
   * over the sessions already there, none of which is bound).
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    const table = this.#table
    await this.#query(
      'migrate',
      `DEFINE TABLE IF NOT EXISTS ${table} SCHEMALESS;
DEFINE INDEX IF NOT EXISTS ${table}_expires_at ON TABLE ${table} FIELDS expiresAt;
${this.#ownerIndex()}`
    )
  }

  /**
   * Inserts the record unless a live one has its key: one `UPSERT ... WHERE` that writes only
   * over an absent (fields `NONE`) or expired record.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const [written] = await this.#query(
      'create',
      'UPSERT $id CONTENT $content WHERE expiresAt == NONE OR expiresAt <= $now RETURN VALUE version',
      { id: this.#id(record.key), content: contentOf(record), now: Date.now() }
    )
    return Array.isArray(written) && written.length === 1
  }

  /**
   * The record with this key, or `undefined` if missing or expired: one `SELECT`. A record it
   * cannot decode throws `INVALID_STORED_DATA`.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const [document] = await this.#query('load', 'SELECT * FROM ONLY $id', { id: this.#id(key) })
    if (document === null || document === undefined) return undefined
    const record = recordOf(key, document as SessionDocument)
    return record.expiresAt > Date.now() ? record : undefined
  }

  /**
   * Without `expectedVersion`, an `UPSERT`. With it, one `UPDATE ... WHERE version = $expected
   * AND expiresAt > $now`: `false` when the record is missing, expired or at another version.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const bindings = { id: this.#id(record.key), content: contentOf(record) }
    if (expectedVersion === undefined) {
      await this.#query('save', 'UPSERT $id CONTENT $content RETURN NONE', bindings)
      return true
    }
    const [written] = await this.#query(
      'save',
      'UPDATE $id CONTENT $content WHERE version = $expected AND expiresAt > $now RETURN VALUE version',
      { ...bindings, expected: expectedVersion, now: Date.now() }
    )
    return Array.isArray(written) && written.length === 1
  }

  /**
   * Deletes the record with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await this.#query('delete', 'DELETE $id', { id: this.#id(key) })
  }

  /**
   * Deletes every expired record in one statement and returns how many it deleted.
   * @example setInterval(() => void store.deleteExpired(), 60 * 60 * 1000)
   */
  async deleteExpired(): Promise<number> {
    const [deleted] = await this.#query(
      'deleteExpired',
      'DELETE $table WHERE expiresAt <= $now RETURN VALUE $before.id',
      { table: new Table(this.#table), now: Date.now() }
    )
    return Array.isArray(deleted) ? deleted.length : 0
  }

  /**
   * Every live record of the table, each once, in key order: one `SELECT` per batch of the
   * live records in the record-id range after the last key seen, so a batch costs the same however deep the scan
   * is. Records it cannot decode are skipped.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let after: string | undefined
    for (;;) {
      const range = new RecordIdRange(
        this.#table,
        after === undefined ? undefined : new BoundExcluded(after),
        undefined
      )
      const [documents] = await this.#query(
        'scan',
        'SELECT * FROM $range WHERE expiresAt > $now LIMIT $limit',
        { range, limit: batchSize, now: Date.now() }
      )
      const batch = (Array.isArray(documents) ? documents : []) as SessionDocument[]
      const now = Date.now()
      for (const document of batch) {
        let record: SessionRecord | undefined
        try {
          // A record whose id is not a string (`sessions:1`) is no session of this store.
          const key: unknown = document.id?.id
          record = typeof key === 'string' ? recordOf(key, document) : undefined
        } catch {
          record = undefined
        }
        if (record !== undefined && record.expiresAt > now) yield record
      }
      const last = batch.at(-1)?.id?.id
      if (batch.length < batchSize || typeof last !== 'string') return
      after = last
    }
  }

  /**
   * The live records bound to `owner`: one `SELECT ... WITH INDEX <table>_owner`, which reads
   * the owner's records only. The first listing of a store defines that index if absent (a table
   * `migrate` of an earlier release made lacks it, and without it SurrealDB would scan the
   * table): one statement more, once. Records it cannot decode are skipped.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    // The table is checked first: DEFINE INDEX would create a missing one, and hide that
    // migrate() never ran.
    this.#ownerIndexDefined ??= this.#query('listOwner', 'INFO FOR DB')
      .then(([info]) => {
        const tables = (info as { tables?: Record<string, unknown> } | undefined)?.tables
        if (tables !== undefined && !Object.hasOwn(tables, this.#table)) {
          const cause = new Error(`The table '${this.#table}' does not exist`)
          throw missingTable('SurrealStore', this.#table, runMigrate(), cause, { columns: false })
        }
        return this.#query('listOwner', this.#ownerIndex())
      })
      .catch((error: unknown) => {
        this.#ownerIndexDefined = undefined
        throw error
      })
    await this.#ownerIndexDefined
    const table = this.#table
    const [documents] = await this.#query(
      'listOwner',
      `SELECT * FROM ${table} WITH INDEX ${table}_owner WHERE owner = $owner AND expiresAt > $now`,
      { owner, now: Date.now() }
    )
    const bound = ((Array.isArray(documents) ? documents : []) as SessionDocument[]).filter(
      (document) => typeof document.id?.id === 'string'
    )
    const now = Date.now()
    return decodableRecords(bound, (document) =>
      recordOf(document.id.id as string, document)
    ).filter((record) => record.owner === owner && record.expiresAt > now)
  }

  #ownerIndex(): string {
    const table = this.#table
    return `DEFINE INDEX IF NOT EXISTS ${table}_owner ON TABLE ${table} FIELDS owner`
  }

  #id(key: string): RecordId {
    return new RecordId(this.#table, key)
  }

  /**
   * Runs one statement, again after a transaction conflict (with a short random pause). A table
   * that does not exist is `CONFIG`: `migrate()` was not run.
   */
  #query(operation: string, query: string, bindings?: Record<string, unknown>) {
    return attemptStore(operation, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#db.query(query, bindings).collect()
        } catch (error) {
          if (isMissingTable(error)) {
            throw missingTable('SurrealStore', this.#table, runMigrate(), error, { columns: false })
          }
          if (attempt >= CONFLICT_ATTEMPTS || !isTransactionConflict(error)) throw error
          await pause(Math.random() * 2 ** attempt)
        }
      }
    })
  }
}

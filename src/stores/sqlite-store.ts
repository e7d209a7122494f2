import { SessionError, storeFailure } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { checkIdentifier, recordFromRow, recordsFromRows, rowValues } from './sql-support.js'
import { migrateSqliteTable, sqliteStatements, type SqliteStatementText } from './sqlite-sql.js'
import { sqliteDriverOf } from './sqlite-driver.js'
import { isMissingSqliteTable, missingTable, runMigrate } from './missing-table.js'
import type { SessionRow } from './sql-support.js'

/**
 * The part of a better-sqlite3 prepared statement the store uses. Declared here rather than
 * imported, so the store never loads the driver: the application passes its own `Database`.
 */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}

/** The part of a better-sqlite3 `Database` the store uses (a `Database` fits it as it is). */
export interface SqliteDatabase {
  prepare(source: string): SqliteStatement
  exec(source: string): unknown
}

/** Options of `SqliteStore`. */
export interface SqliteStoreOptions {
  /**
   * The table holding the sessions: a plain identifier (letters, digits, `_`). Its indexes are
   * named `<tableName>_expires_at` and `<tableName>_owner`.
   * @default 'sessions'
   */
  tableName?: string
}

/** `sqliteStatements`, prepared. */
type Statements = Record<keyof SqliteStatementText, SqliteStatement>

const DEFAULT_TABLE_NAME = 'sessions'
/** Rows per `deleteExpired` statement: each is its own short write, so writers are not starved. */
const DELETE_BATCH_SIZE = 1000

/**
 * A session store in a SQLite database through better-sqlite3, the application's own connection.
 * Expiry is checked in every query against the current time, so an expired row is never loaded
 * even before `deleteExpired` removes it. Each operation is one statement, hence atomic, also
 * across processes sharing the file; use WAL and a `busy_timeout` when several processes write.
 * A record's owner is a column of its row with an index (`listOwner`), so the index changes in
 * the statement that writes or deletes the row.
 * @example
 * import Database from 'better-sqlite3'
 * import { SqliteStore } from 'typed-sessions/sqlite'
 *
 * const db = new Database('sessions.db')
 * db.pragma('journal_mode = WAL')
 * db.pragma('busy_timeout = 5000')
 * const store = new SqliteStore(db, { tableName: 'sessions' })
 * await store.migrate()
 * setInterval(() => void store.deleteExpired(), 60_000)
 */
export class SqliteStore implements SessionStore {
  readonly #db: SqliteDatabase
  readonly #table: string
  #statements: Statements | undefined

  constructor(db: SqliteDatabase, options: SqliteStoreOptions = {}) {
    if (typeof db !== 'object' || db === null || typeof db.prepare !== 'function') {
      throw new SessionError(
        'CONFIG',
        'SqliteStore takes a better-sqlite3 Database, a bun:sqlite Database or a node:sqlite DatabaseSync, e.g. new SqliteStore(new Database("sessions.db")).'
      )
    }
    this.#db = sqliteDriverOf(db)
    this.#table = checkIdentifier(
      options.tableName ?? DEFAULT_TABLE_NAME,
      'SqliteStore options.tableName'
    )
  }

  /**
   * Creates the table and its indexes (on `expires_at`, on `owner`) if they do not exist, and
   * adds the columns of this version to a table of an earlier one, keeping its rows (see
   * `schemas/sqlite.sql`); running it again is harmless.
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    const db = this.#db
    try {
      await migrateSqliteTable(this.#table, {
        run: async (sql) => db.exec(sql),
        all: async (sql) => db.prepare(sql).all(),
      })
    } catch (error) {
      throw storeFailure('migrate', error)
    }
  }

  /**
   * Inserts the record if no live record has its key; an expired row with the key is replaced.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    try {
      return this.#prepared().create.run(...rowValues(record), Date.now()).changes === 1
    } catch (error) {
      throw this.#failure('create', error)
    }
  }

  /**
   * The record with this key, or `undefined` if it is missing or expired.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    try {
      const row = this.#prepared().load.get(key, Date.now()) as SessionRow | undefined
      return row === undefined ? undefined : recordFromRow(row)
    } catch (error) {
      throw this.#failure('load', error)
    }
  }

  /**
   * Without `expectedVersion`, an upsert. With it, one conditional UPDATE that writes only if a
   * live row with exactly that version exists; `false` otherwise (also when missing or expired).
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    try {
      const statements = this.#prepared()
      const [key, ...rest] = rowValues(record)
      const result =
        expectedVersion === undefined
          ? statements.upsert.run(key, ...rest)
          : statements.compareAndSet.run(...rest, key, expectedVersion, Date.now())
      return result.changes === 1
    } catch (error) {
      throw this.#failure('save', error)
    }
  }

  /**
   * Deletes the row with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    try {
      this.#prepared().delete.run(key)
    } catch (error) {
      throw this.#failure('delete', error)
    }
  }

  /**
   * Deletes every expired row, 1000 per statement, and returns how many it deleted.
   * @example setInterval(() => void store.deleteExpired(), 60_000)
   */
  async deleteExpired(): Promise<number> {
    try {
      const statement = this.#prepared().deleteExpired
      const now = Date.now()
      let total = 0
      for (;;) {
        const { changes } = statement.run(now, DELETE_BATCH_SIZE)
        total += changes
        if (changes < DELETE_BATCH_SIZE) return total
      }
    } catch (error) {
      throw this.#failure('deleteExpired', error)
    }
  }

  /**
   * Every live record, each exactly once, in key order: each batch is one query for the next
   * `batchSize` live keys after the last one yielded. A record present throughout the scan is
   * yielded once; one created or deleted meanwhile may or may not be.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let after: string | undefined
    for (;;) {
      // `all()`, not an open iterator: a live cursor would keep a read transaction open between
      // batches and make better-sqlite3 refuse every other statement on this connection.
      let rows: SessionRow[]
      let records: SessionRecord[]
      try {
        const statements = this.#prepared()
        rows = (
          after === undefined
            ? statements.scanFirst.all(Date.now(), batchSize)
            : statements.scanNext.all(after, Date.now(), batchSize)
        ) as SessionRow[]
        records = recordsFromRows(rows)
      } catch (error) {
        throw this.#failure('scan', error)
      }
      const last = rows.at(-1)
      if (last === undefined) return
      yield* records
      if (rows.length < batchSize) return
      after = last.key
    }
  }

  /**
   * The live records bound to `owner`: one statement, a lookup in the owner index.
   * @example const records = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    try {
      const rows = this.#prepared().listOwner.all(owner, Date.now()) as SessionRow[]
      return recordsFromRows(rows)
    } catch (error) {
      throw this.#failure('listOwner', error)
    }
  }

  /** A failure as `storeFailure`, unless it says the table is missing: then `CONFIG`. */
  #failure(operation: string, error: unknown): SessionError {
    if (!isMissingSqliteTable(error)) return storeFailure(operation, error)
    return missingTable('SqliteStore', `"${this.#table}"`, runMigrate('schemas/sqlite.sql'), error)
  }

  /** The statements, prepared on first use (after `migrate`) and reused. */
  #prepared(): Statements {
    if (this.#statements !== undefined) return this.#statements
    const sql = sqliteStatements(`"${this.#table}"`)
    this.#statements = Object.fromEntries(
      Object.entries(sql).map(([name, text]) => [name, this.#db.prepare(text)])
    ) as Statements
    return this.#statements
  }
}

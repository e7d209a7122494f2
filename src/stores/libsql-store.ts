import { SessionError, attemptStore } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import {
  checkIdentifier,
  recordFromRow,
  recordsFromRows,
  rowValues,
  type SessionRow,
} from './sql-support.js'
import { isMissingSqliteTable, missingTable, runMigrate } from './missing-table.js'
import { migrateSqliteTable, sqliteStatements, type SqliteStatementText } from './sqlite-sql.js'

/** A value bound to a `?` placeholder. */
export type LibsqlValue = string | number | bigint | null

/**
 * The part of a `@libsql/client` `Client` the store uses (`createClient()` returns one that fits
 * as it is). Declared here rather than imported, so the store never loads the driver.
 */
export interface LibsqlClient {
  execute(statement: { sql: string; args: LibsqlValue[] }): Promise<LibsqlResult>
}

/** The part of a `@libsql/client` `ResultSet` the store reads. */
export interface LibsqlResult {
  rows: ArrayLike<Record<string, unknown>>
  rowsAffected: number
}

/** Options of `LibsqlStore`. */
export interface LibsqlStoreOptions {
  /**
   * The table holding the sessions: a plain identifier (letters, digits, `_`). Its indexes are
   * named `<tableName>_expires_at` and `<tableName>_owner`.
   * @default 'sessions'
   */
  tableName?: string
}

const DEFAULT_TABLE_NAME = 'sessions'
/** Rows per `deleteExpired` statement: each is a short write, so writers are not starved. */
const DELETE_BATCH_SIZE = 1000
/**
 * A session store in libSQL (Turso, or a local SQLite file through libSQL) over the
 * application's own `@libsql/client` client. Every operation is one statement, so one round trip
 * to a remote database: a compare-and-set save is one conditional `UPDATE`, and `create` one
 * insert that replaces only an expired row. Expiry is checked in every query, so an expired row
 * is never loaded even before `deleteExpired` removes it. A record's owner is a column of its
 * row with an index (`listOwner`), written by the same statement as the row.
 * @example
 * import { createClient } from '@libsql/client'
 * import { LibsqlStore } from 'typed-sessions/libsql'
 *
 * const client = createClient({ url: process.env.TURSO_URL!, authToken: process.env.TURSO_TOKEN })
 * const store = new LibsqlStore(client, { tableName: 'sessions' })
 * await store.migrate()
 * const stop = startExpiredDeletion(store)
 */
export class LibsqlStore implements SessionStore {
  readonly #client: LibsqlClient
  readonly #table: string
  readonly #sql: SqliteStatementText

  constructor(client: LibsqlClient, options: LibsqlStoreOptions = {}) {
    if (typeof client !== 'object' || client === null || typeof client.execute !== 'function') {
      throw new SessionError(
        'CONFIG',
        'LibsqlStore takes a @libsql/client client, e.g. new LibsqlStore(createClient({ url: "file:sessions.db" })).'
      )
    }
    this.#client = client
    this.#table = checkIdentifier(
      options.tableName ?? DEFAULT_TABLE_NAME,
      'LibsqlStore options.tableName'
    )
    this.#sql = sqliteStatements(`"${this.#table}"`)
  }

  /**
   * Creates the table and its indexes (on `expires_at`, on `owner`) if they do not exist, and
   * adds the columns of this version to a table of an earlier one, keeping its rows (see
   * `schemas/libsql.sql`); harmless to repeat.
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    const client = this.#client
    await attemptStore('migrate', () =>
      migrateSqliteTable(this.#table, {
        run: (sql) => client.execute({ sql, args: [] }),
        all: async (sql) => Array.from((await client.execute({ sql, args: [] })).rows),
      })
    )
  }

  /**
   * Inserts the record unless a live row has its key (an expired one is replaced): one statement.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const args = [...rowValues(record), Date.now()]
    const result = await this.#run('create', this.#sql.create, args)
    return result.rowsAffected === 1
  }

  /**
   * The record with this key, or `undefined` if it is missing or expired: one `SELECT`.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#run('load', this.#sql.load, [key, Date.now()])
    const row = rows[0]
    return row === undefined ? undefined : recordFromRow(row as unknown as SessionRow)
  }

  /**
   * Without `expectedVersion`, an upsert. With it, one conditional `UPDATE` that writes only if a
   * live row with exactly that version exists; `false` otherwise (also when missing or expired).
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const [key, ...rest] = rowValues(record)
    const result =
      expectedVersion === undefined
        ? await this.#run('save', this.#sql.upsert, [key, ...rest])
        : await this.#run('save', this.#sql.compareAndSet, [
            ...rest,
            key,
            expectedVersion,
            Date.now(),
          ])
    return result.rowsAffected === 1
  }

  /**
   * Deletes the row with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await this.#run('delete', this.#sql.delete, [key])
  }

  /**
   * Deletes every expired row, 1000 per statement, and returns how many it deleted.
   * @example setInterval(() => void store.deleteExpired(), 60_000)
   */
  async deleteExpired(): Promise<number> {
    const now = Date.now()
    let total = 0
    for (;;) {
      const { rowsAffected } = await this.#run('deleteExpired', this.#sql.deleteExpired, [
        now,
        DELETE_BATCH_SIZE,
      ])
      total += rowsAffected
      if (rowsAffected < DELETE_BATCH_SIZE) return total
    }
  }

  /**
   * Every live record, each exactly once, in key order: one query per batch for the next
   * `batchSize` live keys after the last one read. A row that cannot be decoded is skipped.
   * A record present throughout the scan is yielded once; one created or deleted meanwhile may
   * or may not be.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let after: string | undefined
    for (;;) {
      const { rows } =
        after === undefined
          ? await this.#run('scan', this.#sql.scanFirst, [Date.now(), batchSize])
          : await this.#run('scan', this.#sql.scanNext, [after, Date.now(), batchSize])
      // A corrupt row is the engine's to judge when it is loaded; a bulk scan moves on.
      const records = recordsFromRows(Array.from(rows) as unknown as SessionRow[])
      yield* records
      if (rows.length < batchSize) return
      after = String(rows[rows.length - 1]?.['key'])
    }
  }

  /**
   * The live records bound to `owner`: one statement, a lookup in the owner index.
   * @example const records = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    const { rows } = await this.#run('listOwner', this.#sql.listOwner, [owner, Date.now()])
    return recordsFromRows(Array.from(rows) as unknown as SessionRow[])
  }

  #run(operation: string, sql: string, args: LibsqlValue[]): Promise<LibsqlResult> {
    return attemptStore(operation, () =>
      this.#client.execute({ sql, args }).catch((error: unknown) => {
        if (!isMissingSqliteTable(error)) throw error
        const table = `"${this.#table}"`
        throw missingTable('LibsqlStore', table, runMigrate('schemas/libsql.sql'), error)
      })
    )
  }
}

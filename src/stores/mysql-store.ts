import { SessionError, storeFailure, unstorableValue } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import {
  COLUMNS,
  CREATE_NOW_PARAMETERS,
  PRESENT_ADDITIONS,
  additions,
  statementsFor,
  tableDefinition,
} from './mysql-sql.js'
import { missingTable, runMigrate } from './missing-table.js'
import { isDeadConnection, isMissingTable, refusedValue } from './mysql-errors.js'
import {
  INT_COLUMN_VERSIONS,
  checkIdentifier,
  columnVersion,
  recordFromRow,
  recordsFromRows,
  rowValues,
} from './sql-support.js'
import type { SessionRow } from './sql-support.js'

/**
 * The part of a `mysql2/promise` pool the store uses: `mysql.createPool(url)` from
 * `'mysql2/promise'`, or `pool.promise()` of a callback pool. A callback-style pool does not fit.
 */
export interface MySqlPool {
  execute(sql: string, values?: MySqlValue[]): Promise<[unknown, unknown]>
  query(sql: string, values?: MySqlValue[]): Promise<[unknown, unknown]>
}

/** A statement parameter of the store. */
export type MySqlValue = string | number | null

/** Options of `MySqlStore`. */
export interface MySqlStoreOptions {
  /** The session table: a plain identifier, created by `migrate()`. @default 'sessions' */
  tableName?: string
  /** How many expired rows `deleteExpired` deletes per statement. @default 1000 */
  deleteBatchSize?: number
}

/** What mysql2 resolves a write statement with (its `ResultSetHeader`). */
interface WriteResult {
  affectedRows: number
  insertId: number
}

const DEFAULT_TABLE_NAME = 'sessions'

/**
 * A session store on MySQL or MariaDB through a `mysql2/promise` pool the application already
 * has (the store never closes it). Each operation is one statement; expiry is checked against
 * the application's clock in every read and write, and `deleteExpired` reclaims expired rows.
 * Values are limited by the server's `max_allowed_packet` (16 MB by default on MariaDB 10.11
 * and MySQL 8): a larger record fails to save with `INVALID_VALUE`. The `version` column holds
 * the version modulo 2^31 (`INT_COLUMN_VERSIONS`), so it never overflows. A statement whose pooled
 * connection died is sent once more, on a fresh connection. A record's owner is a column of its
 * row with an index (`listOwner`), written by the same statement as the row. Keep mysql2's default utf8mb4
 * connection charset so any Unicode round-trips.
 * @example
 * import mysql from 'mysql2/promise'
 * const pool = mysql.createPool(process.env.MYSQL_URL!)
 * const store = new MySqlStore(pool, { tableName: 'sessions' })
 * await store.migrate()
 */
export class MySqlStore implements SessionStore {
  readonly #pool: MySqlPool
  readonly #table: string
  readonly #deleteBatchSize: number
  readonly #sql: ReturnType<typeof statementsFor>

  constructor(pool: MySqlPool, options: MySqlStoreOptions = {}) {
    if (typeof pool?.execute !== 'function' || typeof pool.query !== 'function') {
      throw new SessionError(
        'CONFIG',
        "MySqlStore takes a mysql2/promise pool, e.g. mysql.createPool(url) from 'mysql2/promise' or pool.promise() of a callback pool."
      )
    }
    const table = checkIdentifier(
      options.tableName ?? DEFAULT_TABLE_NAME,
      'MySqlStore options.tableName'
    )
    const deleteBatchSize = batchSizeOf(
      options.deleteBatchSize,
      'MySqlStore options.deleteBatchSize'
    )
    this.#pool = pool
    this.#table = table
    this.#deleteBatchSize = deleteBatchSize
    this.#sql = statementsFor(table, deleteBatchSize)
  }

  /**
   * Creates the session table and its indexes (on `expires_at`, on `owner`) if they do not
   * exist (the DDL of `schemas/mysql.sql`), and adds the columns and the index of this version
   * to a table of an earlier one, keeping its rows, to the layout of a fresh table. Safe to run
   * on every start, from several processes at once.
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    try {
      await this.#pool.query(tableDefinition(this.#table))
      const [rows] = await this.#pool.query(PRESENT_ADDITIONS, [this.#table, this.#table])
      const present = new Set((rows as { name: unknown }[]).map((row) => row.name))
      for (const [name, alter] of additions(this.#table)) {
        if (present.has(name)) continue
        try {
          await this.#pool.query(alter)
        } catch (error) {
          // Another process added it since the check: ER_DUP_FIELDNAME, ER_DUP_KEYNAME.
          const errno = (error as { errno?: unknown }).errno
          if (errno !== 1060 && errno !== 1061) throw error
        }
      }
    } catch (error) {
      throw storeFailure('migrate', error)
    }
  }

  /**
   * Inserts the record if no live record has its key (an expired one is replaced), in one
   * statement; `false` on a collision.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const now = Date.now()
    const result = await this.#write('create', this.#sql.create, [
      ...rowValues(record, INT_COLUMN_VERSIONS),
      ...Array<number>(CREATE_NOW_PARAMETERS).fill(now),
    ])
    return result.affectedRows > 0 && result.insertId === 0
  }

  /**
   * The record with this key, or `undefined` if it is missing or expired.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const [row] = await this.#read('load', this.#sql.load, [key, Date.now()])
    return row === undefined ? undefined : recordFromRow(row)
  }

  /**
   * Without `expectedVersion`, an upsert. With it, one `UPDATE` that writes only if a live row
   * still has that version; `false` otherwise (also when the row is missing or expired).
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const values = rowValues(record, INT_COLUMN_VERSIONS)
    if (expectedVersion === undefined) {
      await this.#write('save', this.#sql.upsert, values)
      return true
    }
    const [key, ...columns] = values
    // affectedRows counts matched rows under CLIENT_FOUND_ROWS (mysql2's default) and changed
    // rows without it; the version always changes on a compare-and-set, so both count 1.
    const result = await this.#write('save', this.#sql.update, [
      ...columns,
      key,
      columnVersion(expectedVersion, INT_COLUMN_VERSIONS),
      Date.now(),
    ])
    return result.affectedRows === 1
  }

  /**
   * Deletes the record with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await this.#write('delete', this.#sql.delete, [key])
  }

  /**
   * Deletes every expired row, `deleteBatchSize` rows per statement (short row locks), and
   * returns how many it deleted.
   * @example setInterval(() => void store.deleteExpired(), 60_000)
   */
  async deleteExpired(): Promise<number> {
    const now = Date.now()
    let total = 0
    for (;;) {
      const { affectedRows } = await this.#write('deleteExpired', this.#sql.deleteExpired, [now])
      total += affectedRows
      if (affectedRows < this.#deleteBatchSize) return total
    }
  }

  /**
   * Every live record, each exactly once, `batchSize` rows per query in key order (keyset
   * pagination): a record present throughout the scan is yielded once, one created or deleted
   * meanwhile may or may not be.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    const t = `\`${this.#table}\``
    const first = `SELECT ${COLUMNS} FROM ${t} WHERE \`expires_at\` > ?
      ORDER BY \`key\` LIMIT ${batchSize}`
    const next = `SELECT ${COLUMNS} FROM ${t} WHERE \`key\` > ? AND \`expires_at\` > ?
      ORDER BY \`key\` LIMIT ${batchSize}`
    let after: string | undefined
    for (;;) {
      const rows =
        after === undefined
          ? await this.#read('scan', first, [Date.now()])
          : await this.#read('scan', next, [after, Date.now()])
      // Rows that cannot be decoded are skipped, but still move the position on.
      yield* recordsFromRows(rows)
      const last = rows[rows.length - 1]
      if (last === undefined || rows.length < batchSize) return
      after = last.key
    }
  }

  /**
   * The live records bound to `owner`: one statement, a lookup in the owner index.
   * @example const records = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    const rows = await this.#read('listOwner', this.#sql.listOwner, [owner, Date.now()])
    return recordsFromRows(rows)
  }

  async #read(operation: string, sql: string, values: MySqlValue[]): Promise<SessionRow[]> {
    const [rows] = await this.#execute(operation, sql, values)
    return rows as SessionRow[]
  }

  async #write(operation: string, sql: string, values: MySqlValue[]): Promise<WriteResult> {
    const [result] = await this.#execute(operation, sql, values)
    return result as WriteResult
  }

  /**
   * Runs one statement. One whose connection died is sent once more (the pool discards a dead
   * connection and hands out another): reads and deletes are idempotent, and a repeated create
   * or compare-and-set whose first attempt had committed answers false, which the engine
   * recognizes by the record's token. A value the server refuses is `INVALID_VALUE`.
   */
  async #execute(operation: string, sql: string, values: MySqlValue[]) {
    try {
      try {
        return await this.#pool.execute(sql, values)
      } catch (error) {
        if (!isDeadConnection(error)) throw error
        return await this.#pool.execute(sql, values)
      }
    } catch (error) {
      const refused = refusedValue(error)
      if (refused !== undefined) throw unstorableValue(refused, error)
      if (isMissingTable(error)) {
        const table = `\`${this.#table}\``
        throw missingTable('MySqlStore', table, runMigrate('schemas/mysql.sql'), error)
      }
      throw storeFailure(operation, error)
    }
  }
}

import { SessionError, attemptStore, storeFailure } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { checkIdentifier, recordFromRow, rowValues } from './sql-support.js'
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
const COLUMNS = '`key`, `data`, `created_at`, `expires_at`, `version`, `schema_version`, `expiry`'

/**
 * The DDL of the session table; `schemas/mysql.sql` holds the same for the default name.
 * - `key` compares case-sensitively (utf8mb4_bin, available on MySQL and MariaDB alike): record
 *   keys are base64url, where case matters. 191 characters is the longest utf8mb4 key that fits every InnoDB row format (767 bytes).
 * - `data` is LONGTEXT rather than JSON: MySQL's binary JSON reorders keys and re-renders
 *   numbers, while the store wants the exact text back (MariaDB's JSON is LONGTEXT anyway).
 */
function tableDefinition(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
  \`key\` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  \`data\` LONGTEXT NOT NULL,
  \`created_at\` BIGINT NOT NULL,
  \`expires_at\` BIGINT NOT NULL,
  \`version\` INT NOT NULL,
  \`schema_version\` INT NOT NULL,
  \`expiry\` TEXT NULL,
  PRIMARY KEY (\`key\`),
  KEY \`expires_at\` (\`expires_at\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
}

/**
 * A session store on MySQL or MariaDB through a `mysql2/promise` pool the application already
 * has (the store never closes it). Each operation is one statement; expiry is checked against
 * the application's clock in every read and write, and `deleteExpired` reclaims expired rows.
 * Values are limited by the server's `max_allowed_packet` (16 MB by default on MariaDB 10.11
 * and MySQL 8); keep mysql2's default utf8mb4 connection charset so any Unicode round-trips.
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
  readonly #sql: {
    create: string
    load: string
    upsert: string
    update: string
    delete: string
    deleteExpired: string
  }

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
    const t = `\`${table}\``
    const keep = (column: string) =>
      `\`${column}\` = IF(\`expires_at\` > ?, \`${column}\`, VALUES(\`${column}\`))`
    this.#sql = {
      // A live row keeps every column; an expired one takes the new values. `expires_at` is
      // assigned last because each assignment sees the columns assigned before it.
      // mysql2 sets CLIENT_FOUND_ROWS by default, so affectedRows is 1 both for an insert and
      // for a live row left as it is. LAST_INSERT_ID(expr) puts expr in the OK packet's insert
      // id (the table has no AUTO_INCREMENT, so an insert reports 0): 1 means a live row won.
      create: `INSERT INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE
        \`data\` = IF(LAST_INSERT_ID(\`expires_at\` > ?), \`data\`, VALUES(\`data\`)),
        ${keep('created_at')}, ${keep('version')}, ${keep('schema_version')}, ${keep('expiry')},
        ${keep('expires_at')}`,
      load: `SELECT ${COLUMNS} FROM ${t} WHERE \`key\` = ? AND \`expires_at\` > ?`,
      // VALUES(col) rather than MySQL 8's row alias, which MariaDB does not support.
      upsert: `INSERT INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE
        \`data\` = VALUES(\`data\`), \`created_at\` = VALUES(\`created_at\`),
        \`version\` = VALUES(\`version\`), \`schema_version\` = VALUES(\`schema_version\`),
        \`expiry\` = VALUES(\`expiry\`), \`expires_at\` = VALUES(\`expires_at\`)`,
      update: `UPDATE ${t} SET \`data\` = ?, \`created_at\` = ?, \`expires_at\` = ?, \`version\` = ?,
        \`schema_version\` = ?, \`expiry\` = ?
        WHERE \`key\` = ? AND \`version\` = ? AND \`expires_at\` > ?`,
      delete: `DELETE FROM ${t} WHERE \`key\` = ?`,
      // Ordered (by the expires_at index, which ends with the primary key) so the rows a LIMIT
      // picks are deterministic, as statement-based replication requires.
      deleteExpired: `DELETE FROM ${t} WHERE \`expires_at\` <= ?
        ORDER BY \`expires_at\`, \`key\` LIMIT ${deleteBatchSize}`,
    }
  }

  /**
   * Creates the session table and its index on `expires_at` if they do not exist (the DDL of
   * `schemas/mysql.sql`). Safe to run on every start.
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    try {
      await this.#pool.query(tableDefinition(this.#table))
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
      ...rowValues(record),
      ...Array<number>(6).fill(now),
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
    const values = rowValues(record)
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
      expectedVersion,
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
      for (const row of rows) yield recordFromRow(row)
      const last = rows[rows.length - 1]
      if (last === undefined || rows.length < batchSize) return
      after = last.key
    }
  }

  async #read(operation: string, sql: string, values: MySqlValue[]): Promise<SessionRow[]> {
    const [rows] = await attemptStore(operation, () => this.#pool.execute(sql, values))
    return rows as SessionRow[]
  }

  async #write(operation: string, sql: string, values: MySqlValue[]): Promise<WriteResult> {
    const [result] = await attemptStore(operation, () => this.#pool.execute(sql, values))
    return result as WriteResult
  }
}

import { SessionError, attemptStore, corruptRecord } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { checkIdentifier } from './sql-support.js'

/** A value bound to a `?` placeholder. */
export type LibsqlValue = string | number | bigint | null

/**
 * The part of a `@libsql/client` `Client` the store uses (`createClient()` returns one that fits
 * as it is). Declared here rather than imported, so the store never loads the driver.
 */
export interface LibsqlClient {
  execute(statement: { sql: string; args: LibsqlValue[] }): Promise<LibsqlResult>
  executeMultiple(sql: string): Promise<void>
}

/** The part of a `@libsql/client` `ResultSet` the store reads. */
export interface LibsqlResult {
  rows: ArrayLike<Record<string, unknown>>
  rowsAffected: number
}

/** Options of `LibsqlStore`. */
export interface LibsqlStoreOptions {
  /**
   * The table holding the sessions: a plain identifier (letters, digits, `_`). Its index is
   * named `<tableName>_expires_at`.
   * @default 'sessions'
   */
  tableName?: string
}

const DEFAULT_TABLE_NAME = 'sessions'
/** Rows per `deleteExpired` statement: each is a short write, so writers are not starved. */
const DELETE_BATCH_SIZE = 1000
const COLUMNS = 'key, created_at, expires_at, version, schema_version, expiry, token, data'
const ASSIGN_EXCLUDED =
  'created_at = excluded.created_at, expires_at = excluded.expires_at, version = excluded.version, ' +
  'schema_version = excluded.schema_version, expiry = excluded.expiry, token = excluded.token, ' +
  'data = excluded.data'

/**
 * The DDL of the session table, the same as `schemas/libsql.sql` for the default name. `data`
 * comes last: SQLite reads a row's columns in order, so checks of `expires_at` and `version`
 * never walk the overflow pages of a large `data`.
 */
function libsqlSchema(table: string): string {
  return `CREATE TABLE IF NOT EXISTS "${table}" (
  key TEXT NOT NULL PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  expiry TEXT,
  token TEXT,
  data TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS "${table}_expires_at" ON "${table}" (expires_at);
`
}

/** The values of `COLUMNS`, in order: JSON as text, absent optionals as NULL. */
function rowValues(record: SessionRecord): LibsqlValue[] {
  return [
    record.key,
    record.createdAt,
    record.expiresAt,
    record.version,
    record.schemaVersion,
    record.expiry === undefined ? null : JSON.stringify(record.expiry),
    record.token ?? null,
    JSON.stringify(record.data),
  ]
}

/**
 * A record from a row; numbers may come back as bigints or strings (the client's `intMode`).
 * A row that does not decode is `corruptRecord`, so the engine applies `onInvalid`.
 */
function recordFromRow(row: Record<string, unknown>): SessionRecord {
  const key = String(row['key'])
  try {
    const data: unknown = JSON.parse(String(row['data']))
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new TypeError('data is not a JSON object')
    }
    const record: SessionRecord = {
      key,
      data: data as JsonObject,
      createdAt: Number(row['created_at']),
      expiresAt: Number(row['expires_at']),
      version: Number(row['version']),
      schemaVersion: Number(row['schema_version']),
    }
    const expiryText = row['expiry']
    const expiry = parseExpiry(typeof expiryText === 'string' ? JSON.parse(expiryText) : undefined)
    if (expiry !== undefined) record.expiry = expiry
    const token = row['token']
    if (typeof token === 'string') record.token = token
    return record
  } catch (cause) {
    throw corruptRecord(key, cause)
  }
}

/**
 * A session store in libSQL (Turso, or a local SQLite file through libSQL) over the
 * application's own `@libsql/client` client. Every operation is one statement, so one round trip
 * to a remote database: a compare-and-set save is one conditional `UPDATE`, and `create` one
 * insert that replaces only an expired row. Expiry is checked in every query, so an expired row
 * is never loaded even before `deleteExpired` removes it.
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
  readonly #sql: ReturnType<typeof statementsFor>

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
    this.#sql = statementsFor(`"${this.#table}"`)
  }

  /**
   * Creates the table and its index on `expires_at` if they do not exist; harmless to repeat.
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    await attemptStore('migrate', () => this.#client.executeMultiple(libsqlSchema(this.#table)))
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
    return row === undefined ? undefined : recordFromRow(row)
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
        ? await this.#run('save', this.#sql.upsert, [key ?? null, ...rest])
        : await this.#run('save', this.#sql.compareAndSet, [
            ...rest,
            key ?? null,
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
      const records: SessionRecord[] = []
      for (const row of Array.from(rows)) {
        try {
          records.push(recordFromRow(row))
        } catch {
          // A corrupt row is the engine's to judge when it is loaded; a bulk scan moves on.
        }
      }
      yield* records
      if (rows.length < batchSize) return
      after = String(rows[rows.length - 1]?.['key'])
    }
  }

  #run(operation: string, sql: string, args: LibsqlValue[]): Promise<LibsqlResult> {
    return attemptStore(operation, () => this.#client.execute({ sql, args }))
  }
}

/** The store's statements for the quoted table name. */
function statementsFor(table: string) {
  const select = `SELECT ${COLUMNS} FROM ${table}`
  const placeholders = '?, ?, ?, ?, ?, ?, ?, ?'
  return {
    // A live row makes the conflict update's WHERE false (0 rows), an expired one is replaced:
    // the collision is decided in one atomic statement.
    create: `INSERT INTO ${table} (${COLUMNS}) VALUES (${placeholders})
      ON CONFLICT (key) DO UPDATE SET ${ASSIGN_EXCLUDED} WHERE ${table}.expires_at <= ?`,
    load: `${select} WHERE key = ? AND expires_at > ?`,
    upsert: `INSERT INTO ${table} (${COLUMNS}) VALUES (${placeholders})
      ON CONFLICT (key) DO UPDATE SET ${ASSIGN_EXCLUDED}`,
    compareAndSet: `UPDATE ${table} SET created_at = ?, expires_at = ?, version = ?,
      schema_version = ?, expiry = ?, token = ?, data = ?
      WHERE key = ? AND version = ? AND expires_at > ?`,
    delete: `DELETE FROM ${table} WHERE key = ?`,
    deleteExpired: `DELETE FROM ${table} WHERE key IN
      (SELECT key FROM ${table} WHERE expires_at <= ? LIMIT ?)`,
    scanFirst: `${select} WHERE expires_at > ? ORDER BY key LIMIT ?`,
    scanNext: `${select} WHERE key > ? AND expires_at > ? ORDER BY key LIMIT ?`,
  }
}

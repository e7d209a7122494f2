/**
 * The SQL of the SQLite-dialect stores (SqliteStore, LibsqlStore, D1Store): one table, one set
 * of statements, bound with `rowValues` (sql-support) in `SQLITE_COLUMNS` order.
 */

/** The session table's columns, in the order of `rowValues`. */
export const SQLITE_COLUMNS =
  'key, data, created_at, expires_at, version, schema_version, expiry, token'

const PLACEHOLDERS = '?, ?, ?, ?, ?, ?, ?, ?'

/**
 * An integer column as `select` reads it: as it is within JavaScript's safe integers, else as
 * text. SQLite holds 64-bit integers; libSQL's client and node:sqlite throw a RangeError for a
 * row holding one beyond 2^53 (failing the whole result: a load, or a scan batch), and the other
 * drivers round it. As text, `decodeRecord` judges it, so such a row is invalid stored data.
 * Measured on better-sqlite3: no difference in a load's time (about 2 us either way).
 */
const safeInteger = (column: string) =>
  `CASE WHEN ${column} BETWEEN -9007199254740991 AND 9007199254740991 THEN ${column} ` +
  `ELSE CAST(${column} AS TEXT) END AS ${column}`

/** The columns a read selects, in `SQLITE_COLUMNS` order, integers as `safeInteger`. */
const SELECTED = [
  'key',
  'data',
  ...['created_at', 'expires_at', 'version', 'schema_version'].map(safeInteger),
  'expiry',
  'token',
].join(', ')

const ASSIGN_EXCLUDED =
  'data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at, ' +
  'version = excluded.version, schema_version = excluded.schema_version, expiry = excluded.expiry, ' +
  'token = excluded.token'

/** The non-key columns of `rowValues`, in its order. */
const ASSIGN_PARAMETERS =
  'data = ?, created_at = ?, expires_at = ?, version = ?, schema_version = ?, expiry = ?, token = ?'

/**
 * The DDL of the session table and its index, as two statements without a closing `;`, the same
 * as `schemas/sqlite.sql` and `schemas/libsql.sql` for the default name. `data` is the last
 * column because SQLite reads a row's columns in order: with a large `data` first, checking
 * `expires_at` or `version` would walk its overflow pages. Not `WITHOUT ROWID`: it stores whole
 * rows in the key's B-tree, which measured no faster for 200-byte sessions and about half as
 * fast for 2 KB ones.
 */
export function sqliteTableStatements(table: string): [string, string] {
  return [
    `CREATE TABLE IF NOT EXISTS "${table}" (
  key TEXT NOT NULL PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  expiry TEXT,
  token TEXT,
  data TEXT NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS "${table}_expires_at" ON "${table}" (expires_at)`,
  ]
}

/** The DDL as one script, for drivers that run several statements at once. */
export function sqliteTableScript(table: string): string {
  return `${sqliteTableStatements(table).join(';\n\n')};\n`
}

/**
 * The store's statements on `table` (already quoted), with their parameters:
 * - `create`: `rowValues`, now. A live row makes the conflict update's WHERE false (0 changes),
 *   an expired one is overwritten, so a collision is decided in one atomic statement.
 * - `load`: key, now. `upsert`: `rowValues`.
 * - `compareAndSet`: `rowValues` without the key, then key, expected version, now.
 * - `delete`: key. `deleteExpired`: now, limit.
 * - `scanFirst`: now, limit. `scanNext`: the last key read, now, limit.
 */
export function sqliteStatements(table: string) {
  const select = `SELECT ${SELECTED} FROM ${table}`
  const insert = `INSERT INTO ${table} (${SQLITE_COLUMNS}) VALUES (${PLACEHOLDERS})
     ON CONFLICT (key) DO UPDATE SET ${ASSIGN_EXCLUDED}`
  return {
    create: `${insert} WHERE ${table}.expires_at <= ?`,
    load: `${select} WHERE key = ? AND expires_at > ?`,
    upsert: insert,
    compareAndSet: `UPDATE ${table} SET ${ASSIGN_PARAMETERS} WHERE key = ? AND version = ? AND expires_at > ?`,
    delete: `DELETE FROM ${table} WHERE key = ?`,
    deleteExpired: `DELETE FROM ${table} WHERE key IN
     (SELECT key FROM ${table} WHERE expires_at <= ? LIMIT ?)`,
    scanFirst: `${select} WHERE expires_at > ? ORDER BY key LIMIT ?`,
    scanNext: `${select} WHERE key > ? AND expires_at > ? ORDER BY key LIMIT ?`,
  }
}

/** The SQL strings of `sqliteStatements`. */
export type SqliteStatementText = ReturnType<typeof sqliteStatements>

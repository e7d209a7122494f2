/**
 * The SQL of the SQLite-dialect stores (SqliteStore, LibsqlStore, D1Store): one table, one set
 * of statements, bound with `rowValues` (sql-support) in `SQLITE_COLUMNS` order.
 */

/** The session table's columns, in the order of `rowValues`. */
export const SQLITE_COLUMNS =
  'key, data, created_at, expires_at, version, schema_version, expiry, token, owner'

const PLACEHOLDERS = '?, ?, ?, ?, ?, ?, ?, ?, ?'

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
  'owner',
].join(', ')

const ASSIGN_EXCLUDED =
  'data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at, ' +
  'version = excluded.version, schema_version = excluded.schema_version, expiry = excluded.expiry, ' +
  'token = excluded.token, owner = excluded.owner'

/** The non-key columns of `rowValues`, in its order. */
const ASSIGN_PARAMETERS =
  'data = ?, created_at = ?, expires_at = ?, version = ?, schema_version = ?, expiry = ?, ' +
  'token = ?, owner = ?'

/**
 * The DDL of a fresh session table and its indexes, as statements without a closing `;`, the
 * same as `schemas/sqlite.sql` and `schemas/libsql.sql` for the default name. `data` is the last
 * column because SQLite reads a row's columns in order: with a large `data` first, checking
 * `expires_at` or `version` would walk its overflow pages. Not `WITHOUT ROWID`: it stores whole
 * rows in the key's B-tree, which measured no faster for 200-byte sessions and about half as
 * fast for 2 KB ones. The owner index is partial: a session bound to no user (every anonymous
 * visitor's) has no entry in it, so writing one costs what it cost before the index.
 */
export function sqliteTableStatements(table: string): [string, string, string] {
  return [
    `CREATE TABLE IF NOT EXISTS "${table}" (
  key TEXT NOT NULL PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  expiry TEXT,
  token TEXT,
  owner TEXT,
  data TEXT NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS "${table}_expires_at" ON "${table}" (expires_at)`,
    sqliteOwnerIndex(table),
  ]
}

/** The owner index of `table`: `listOwner` looks up `owner = ?` in it. */
function sqliteOwnerIndex(table: string): string {
  return `CREATE INDEX IF NOT EXISTS "${table}_owner" ON "${table}" (owner) WHERE owner IS NOT NULL`
}

/** The columns added to the session table since its first release, in the order they came. */
const ADDED_COLUMNS = ['token', 'owner'] as const

/** What `migrateSqliteTable` needs of a driver. */
export interface SqliteMigrationTarget {
  /** Runs one statement. */
  run(sql: string): Promise<unknown>
  /** The rows of a `PRAGMA table_info`. */
  all(sql: string): Promise<readonly unknown[]>
}

/**
 * Creates the session table and its indexes if absent, and brings a table of an earlier release
 * up to date without touching its rows: SQLite appends each missing column (`token`, `owner`)
 * after `data`, which costs nothing (neither is read before `data` in a hot path: `owner` is
 * looked up through its index), and the owner index is built once its column exists. Another
 * process may add a column between the check and the ALTER, so "duplicate column name" counts
 * as done.
 */
export async function migrateSqliteTable(table: string, db: SqliteMigrationTarget): Promise<void> {
  const [createTable, expiresIndex] = sqliteTableStatements(table)
  await db.run(createTable)
  await db.run(expiresIndex)
  const columns = (await db.all(`PRAGMA table_info("${table}")`)) as { name: unknown }[]
  const present = new Set(columns.map((column) => column.name))
  for (const column of ADDED_COLUMNS) {
    if (present.has(column)) continue
    await db.run(`ALTER TABLE "${table}" ADD COLUMN ${column} TEXT`).catch((error: unknown) => {
      if (!(error instanceof Error && /duplicate column name/i.test(error.message))) throw error
    })
  }
  await db.run(sqliteOwnerIndex(table))
}

/**
 * The store's statements on `table` (already quoted), with their parameters:
 * - `create`: `rowValues`, now. A live row makes the conflict update's WHERE false (0 changes),
 *   an expired one is overwritten, so a collision is decided in one atomic statement.
 * - `load`: key, now. `upsert`: `rowValues`.
 * - `compareAndSet`: `rowValues` without the key, then key, expected version, now.
 * - `delete`: key. `deleteExpired`: now, limit (the owner index loses the rows' entries with them).
 * - `scanFirst`: now, limit. `scanNext`: the last key read, now, limit.
 * - `listOwner`: owner, now; through the owner index (`owner = ?` implies its `IS NOT NULL`).
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
    listOwner: `${select} WHERE owner = ? AND expires_at > ?`,
  }
}

/** The SQL strings of `sqliteStatements`. */
export type SqliteStatementText = ReturnType<typeof sqliteStatements>

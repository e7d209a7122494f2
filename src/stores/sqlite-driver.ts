import type { SqliteDatabase, SqliteStatement } from './sqlite-store.js'

/**
 * The database `SqliteStore` was given, adapted to the better-sqlite3 shape it speaks. Three
 * drivers fit, and differ in one place the store relies on:
 * - better-sqlite3 `Database` (Node): used as it is.
 * - `node:sqlite` `DatabaseSync` (Node >= 22.5, Deno): the same shape (`get` of no row is
 *   `undefined`), used as it is.
 * - `bun:sqlite` `Database` (Bun): its `get` answers `null` for no row, so statements are wrapped
 *   to answer `undefined`.
 * Detected by shape, never by importing a driver: the store runs where only one of them exists.
 */
export function sqliteDriverOf(db: SqliteDatabase): SqliteDatabase {
  if (!isBunSqlite(db)) return db
  return {
    prepare(source: string): SqliteStatement {
      const statement = db.prepare(source)
      return {
        run: (...params) => statement.run(...params),
        get: (...params) => statement.get(...params) ?? undefined,
        all: (...params) => statement.all(...params),
      }
    },
    exec: (source: string) => db.exec(source),
  }
}

/** A `bun:sqlite` Database: it alone has both `query` (cached statements) and `transaction`, without `pragma`. */
function isBunSqlite(db: SqliteDatabase): boolean {
  const candidate = db as unknown as Record<string, unknown>
  return (
    typeof candidate['query'] === 'function' &&
    typeof candidate['transaction'] === 'function' &&
    typeof candidate['pragma'] !== 'function'
  )
}

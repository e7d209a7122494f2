import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SqliteStore, type SqliteStoreOptions } from '../../src/stores/sqlite-store.js'

/** SQLite database files of one test file, in a temp dir of its own. */
export interface SqliteFiles {
  /** A new database file path in the dir. */
  newFile(): string
  /** A connection configured as a multi-process deployment would be (WAL, busy_timeout). */
  openDatabase(file?: string): Database.Database
  /** A store on `db` (a new file by default), migrated. */
  migratedStore(
    options?: SqliteStoreOptions,
    db?: Database.Database
  ): Promise<{ db: Database.Database; store: SqliteStore }>
  /** Removes the dir and every file in it. */
  remove(): void
}

/**
 * A temp dir for SQLite files; call `remove` in afterAll.
 * @example const sqlite = sqliteFiles(); afterAll(() => sqlite.remove())
 */
export function sqliteFiles(): SqliteFiles {
  const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-sqlite-'))
  let files = 0
  const newFile = () => join(dir, `sessions-${++files}.sqlite`)
  const openDatabase = (file = newFile()) => {
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 10000')
    return db
  }
  return {
    newFile,
    openDatabase,
    migratedStore: async (options = {}, db = openDatabase()) => {
      const store = new SqliteStore(db, options)
      await store.migrate()
      return { db, store }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

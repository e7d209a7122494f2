import { SessionError, attemptStore } from '../../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../../core/store.js'
import {
  checkIdentifier,
  recordFromRow,
  recordsFromRows,
  rowValues,
  type SessionRow,
} from '../sql-support.js'
import { isMissingSqliteTable, missingTable, runMigrate } from '../missing-table.js'
import {
  migrateSqliteTable,
  sqliteStatements,
  sqliteTableStatements,
  type SqliteStatementText,
} from '../sqlite-sql.js'
import type { D1DatabaseBinding, D1StatementBinding } from './bindings.js'

/** Options of `D1Store`. */
export interface D1StoreOptions {
  /**
   * The table holding the sessions: a plain identifier (letters, digits, `_`). Its indexes are
   * named `<tableName>_expires_at` and `<tableName>_owner`.
   * @default 'sessions'
   */
  tableName?: string
}

/** Rows per `deleteExpired` statement: D1 runs one statement at a time per database. */
const DELETE_BATCH_SIZE = 1000

/**
 * The DDL of a fresh D1 session table (the SQLite store's table) and its indexes, one statement
 * each. A table of an earlier version needs `migrate()`, which also adds its missing columns.
 */
export function d1Schema(table: string): string[] {
  return sqliteTableStatements(table)
}

/**
 * A session store in a Cloudflare D1 database (SQLite at the edge), through the Worker's binding.
 * Every operation is one SQL statement, so it is atomic: `create` is an insert-if-absent, a
 * compare-and-set `save` one conditional `UPDATE … WHERE version = ?`. Expiry is checked in every
 * query; expired rows stay until `deleteExpired()` (run it from a Cron Trigger). D1 writes go to
 * one primary, so a compare-and-set is strongly consistent; reads from read replicas (the Sessions
 * API) are not used here. A record's owner is a column of its row with an index (`listOwner`),
 * written by the same statement as the row.
 * @example
 * import { D1Store } from 'typed-sessions/cloudflare'
 *
 * // wrangler.toml: [[d1_databases]] binding = "DB", database_name = "sessions", database_id = "…"
 * const store = new D1Store(env.DB, { tableName: 'sessions' })
 * await store.migrate() // once, e.g. in a deploy script or the first request
 */
export class D1Store implements SessionStore {
  readonly #db: D1DatabaseBinding
  readonly #table: string
  readonly #sql: SqliteStatementText

  constructor(db: D1DatabaseBinding, options: D1StoreOptions = {}) {
    if (typeof db !== 'object' || db === null || typeof db.prepare !== 'function') {
      throw new SessionError(
        'CONFIG',
        'D1Store takes a D1 database binding, e.g. new D1Store(env.DB) with [[d1_databases]] binding = "DB" in wrangler.toml.'
      )
    }
    this.#db = db
    this.#table = checkIdentifier(options.tableName ?? 'sessions', 'D1Store options.tableName')
    this.#sql = sqliteStatements(`"${this.#table}"`)
  }

  /**
   * Creates the table and its indexes (on `expires_at`, on `owner`) if they do not exist, and
   * adds the columns of this version to a table of an earlier one, keeping its rows; running it
   * again is harmless.
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    const db = this.#db
    await attemptStore('migrate', () =>
      migrateSqliteTable(this.#table, {
        run: (sql) => db.prepare(sql).run(),
        all: async (sql) => (await db.prepare(sql).all()).results,
      })
    )
  }

  /** Inserts the record if no live record has its key; an expired row with the key is replaced. */
  async create(record: SessionRecord): Promise<boolean> {
    return this.#attempt('create', async () => {
      const result = await this.#statement(this.#sql.create, ...rowValues(record), Date.now()).run()
      return result.meta.changes === 1
    })
  }

  /** The record with this key, or `undefined` if it is missing or expired. */
  async load(key: string): Promise<SessionRecord | undefined> {
    return this.#attempt('load', async () => {
      const row = (await this.#statement(
        this.#sql.load,
        key,
        Date.now()
      ).first()) as SessionRow | null
      return row === null ? undefined : recordFromRow(row)
    })
  }

  /**
   * Without `expectedVersion`, an upsert. With it, one conditional `UPDATE` that writes only if a
   * live row with exactly that version exists; `false` otherwise (also when missing or expired).
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return this.#attempt('save', async () => {
      const [key, ...rest] = rowValues(record)
      const statement =
        expectedVersion === undefined
          ? this.#statement(this.#sql.upsert, key, ...rest)
          : this.#statement(this.#sql.compareAndSet, ...rest, key, expectedVersion, Date.now())
      return (await statement.run()).meta.changes === 1
    })
  }

  /** Deletes the row with this key; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await this.#attempt('delete', () => this.#statement(this.#sql.delete, key).run())
  }

  /**
   * Deletes every expired row, 1000 per statement, and returns how many it deleted.
   * @example export default { scheduled: (_, env) => new D1Store(env.DB).deleteExpired() }
   */
  async deleteExpired(): Promise<number> {
    return this.#attempt('deleteExpired', async () => {
      const now = Date.now()
      let total = 0
      for (;;) {
        const { meta } = await this.#statement(
          this.#sql.deleteExpired,
          now,
          DELETE_BATCH_SIZE
        ).run()
        total += meta.changes
        if (meta.changes < DELETE_BATCH_SIZE) return total
      }
    })
  }

  /**
   * Every live record, each exactly once, in key order, one query per `batchSize` keys.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let after = ''
    for (;;) {
      const rows = await this.#attempt('scan', async () => {
        const { results } = await this.#statement(
          this.#sql.scanNext,
          after,
          Date.now(),
          batchSize
        ).all()
        return results as SessionRow[]
      })
      // A corrupt row is the engine's to judge when it is loaded; a bulk scan moves on.
      yield* recordsFromRows(rows)
      const last = rows.at(-1)
      if (last === undefined || rows.length < batchSize) return
      after = last.key
    }
  }

  /** The live records bound to `owner`: one statement, a lookup in the owner index. */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    return this.#attempt('listOwner', async () => {
      const { results } = await this.#statement(this.#sql.listOwner, owner, Date.now()).all()
      return recordsFromRows(results as SessionRow[])
    })
  }

  /** `attemptStore`, with a missing table as `CONFIG`: `migrate()` was not run. */
  #attempt<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return attemptStore(operation, () =>
      run().catch((error: unknown) => {
        if (!isMissingSqliteTable(error)) throw error
        const table = `"${this.#table}"`
        throw missingTable('D1Store', table, runMigrate(), error)
      })
    )
  }

  #statement(query: string, ...values: unknown[]): D1StatementBinding {
    return this.#db.prepare(query).bind(...values)
  }
}

import { SessionError, storeFailure, unstorableValue } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { OPERATION, PREPARED, shortHash, statementsFor, type Statement } from './postgres-sql.js'
import {
  INT_COLUMN_VERSIONS,
  checkIdentifier,
  columnVersion,
  recordFromRow,
  recordsFromRows,
  rowValues,
  type SessionRow,
} from './sql-support.js'
import { missingTable, runMigrate } from './missing-table.js'

/**
 * What `PostgresStore` needs of a client: the `query` of a `pg.Pool` (or a `pg.Client`, or any
 * driver with the same shape). Typed structurally, so the store never imports `pg` at run time.
 */
export interface PostgresQueryable {
  query(config: {
    text: string
    values?: unknown[]
    name?: string
  }): Promise<{ rows: unknown[]; rowCount: number | null }>
}

/** Options of `PostgresStore`. */
export interface PostgresStoreOptions {
  /** The session table: a plain identifier, always double-quoted. @default 'sessions' */
  tableName?: string
  /** The schema of the table: a plain identifier, always double-quoted. @default 'public' */
  schemaName?: string
  /**
   * Send the store's queries as named prepared statements, parsed and planned once per
   * connection. Turn it off behind a pooler that does not keep them (PgBouncer in transaction
   * mode before 1.21).
   * @default true
   */
  preparedStatements?: boolean
  /** How many rows one `DELETE` of `deleteExpired` removes; it repeats until fewer are left. @default 1000 */
  deleteBatchSize?: number
}

/** The statements that write a record, whose value the server may refuse. */
const WRITES: ReadonlySet<Statement> = new Set(['create', 'upsert', 'compareAndSet'])

/**
 * Why the server refused a record's value for good, as a sentence with a fix, or `undefined`
 * for any other failure. The codes, as PostgreSQL 15 answers a JSONB parameter:
 * 22P05 (untranslatable_character) for `\u0000`, 22P02 (invalid_text_representation) for a
 * lone surrogate escape (our JSON is otherwise always valid). (JSONB's own limits, 54001 for a
 * value nested ~100,000 deep and 54000 past 256 MB, lie beyond what JSON.stringify can encode.)
 */
function refusedValue(error: unknown): string | undefined {
  switch ((error as { code?: unknown } | null)?.code) {
    case '22P05':
      return 'PostgreSQL JSONB cannot hold the character U+0000 in a string; remove it from the session value (or store it encoded).'
    case '22P02':
      return 'PostgreSQL JSONB cannot hold a string that is not well-formed Unicode (a lone surrogate); repair the string before storing it.'
    default:
      return undefined
  }
}

/**
 * Whether the server says the table, its schema or one of its columns does not exist: 42P01
 * (undefined_table), 3F000 (invalid_schema_name), 42703 (undefined_column: a table from before
 * the `token` column).
 */
function isMissingTable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '42P01' || code === '3F000' || code === '42703'
}

/**
 * Whether a query failed because its connection died (terminated by an administrator, a
 * failover, a network reset), so another connection of the pool may well succeed.
 */
function isDeadConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  return (
    code === '57P01' || // admin_shutdown: pg_terminate_backend, or a server shutting down
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    error.message === 'Connection terminated unexpectedly' ||
    error.message === 'Client has encountered a connection error and is not queryable'
  )
}

/**
 * A session store on PostgreSQL through node-postgres (`pg`). One row per session in a table
 * with a JSONB `data` column; every operation is one round trip. Expiry is judged by the
 * application's clock (`Date.now()`, which also computed `expiresAt`), not the server's. Expired
 * rows are never loaded; call `deleteExpired()` periodically to reclaim them. JSONB cannot hold
 * U+0000 or a lone surrogate in strings: such a record fails to save with `INVALID_VALUE` (the
 * driver error as `cause`). The `version` column holds the version modulo 2^31
 * (`INT_COLUMN_VERSIONS`), so it never overflows. A query whose pooled connection died is sent
 * once more, on a fresh connection. Listen for the pool's `'error'` event: pg emits it when an
 * idle connection dies, and without a listener it ends the process.
 * @example
 * import pg from 'pg'
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * pool.on('error', (error) => console.error('idle PostgreSQL connection lost', error))
 * const store = new PostgresStore(pool, { tableName: 'sessions' })
 * await store.migrate()
 * app.use(sessionMiddleware(appSession, { store, secret }))
 * setInterval(() => void store.deleteExpired(), 15 * 60_000)
 */
export class PostgresStore implements SessionStore {
  readonly #client: PostgresQueryable
  readonly #sql: ReturnType<typeof statementsFor>
  readonly #names: Partial<Record<Statement, string>> | undefined
  readonly #deleteBatchSize: number
  /** The table as the messages name it: `"schema"."table"`. */
  readonly #table: string

  /**
   * @param pool A `pg.Pool` (or `pg.Client`) the application already has; the store does not
   * end it.
   */
  constructor(pool: PostgresQueryable, options: PostgresStoreOptions = {}) {
    if (typeof pool?.query !== 'function') {
      throw new SessionError(
        'CONFIG',
        'PostgresStore takes a pg.Pool (or anything with its query method), e.g. new pg.Pool({ connectionString }).'
      )
    }
    const tableName = checkIdentifier(options.tableName ?? 'sessions', 'PostgresStore tableName')
    const schemaName = checkIdentifier(options.schemaName ?? 'public', 'PostgresStore schemaName')
    this.#deleteBatchSize = batchSizeOf(
      options.deleteBatchSize,
      'PostgresStore options.deleteBatchSize'
    )
    this.#client = pool
    this.#table = `"${schemaName}"."${tableName}"`
    this.#sql = statementsFor(schemaName, tableName)
    if (options.preparedStatements ?? true) {
      // A name per text: pg refuses one name for two texts on a connection, and the server
      // truncates names past 63 bytes, so the name is a hash of the text, not of the options.
      const names: Partial<Record<Statement, string>> = {}
      for (const statement of PREPARED) {
        names[statement] = `typed_sessions_${statement}_${shortHash(this.#sql[statement])}`
      }
      this.#names = names
    }
  }

  /**
   * Creates the schema, the table and its indexes (on `expires_at`, on `owner`) if they are
   * missing (the DDL of `schemas/postgres.sql`), and adds the columns of this version to a table
   * of an earlier one, keeping its rows; in one round trip, one transaction. Safe to call at
   * every start-up, from several processes at once; it needs CREATE privileges only while
   * something is missing. On a large table of an earlier version, building the owner index
   * blocks writes while it scans the table: create it first with `CREATE INDEX CONCURRENTLY`
   * (see `schemas/postgres.sql`), and `migrate()` finds it.
   * @example await store.migrate()
   */
  async migrate(): Promise<void> {
    try {
      await this.#client.query({ text: this.#sql.migrate })
    } catch (error) {
      throw storeFailure('migrate', error)
    }
  }

  /**
   * Inserts the record unless a live row has its key (an expired one is replaced).
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const result = await this.#run('create', [
      ...rowValues(record, INT_COLUMN_VERSIONS),
      Date.now(),
    ])
    return result.rowCount === 1
  }

  /**
   * The record with this key, or `undefined` if it is missing or expired.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#run('load', [key, Date.now()])
    const row = rows[0] as SessionRow | undefined
    return row === undefined ? undefined : recordFromRow(row)
  }

  /**
   * Without `expectedVersion`, an upsert. With it, one conditional `UPDATE` that writes only if
   * a live row still has that version; `false` otherwise (also when it is missing or expired).
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const values = rowValues(record, INT_COLUMN_VERSIONS)
    if (expectedVersion === undefined) {
      await this.#run('upsert', values)
      return true
    }
    const result = await this.#run('compareAndSet', [
      ...values,
      columnVersion(expectedVersion, INT_COLUMN_VERSIONS),
      Date.now(),
    ])
    return result.rowCount === 1
  }

  /**
   * Deletes the row with this key; a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await this.#run('delete', [key])
  }

  /**
   * Deletes the rows expired at the time of the call, `batchSize` rows per statement so that no
   * statement holds many row locks or runs long, and returns how many it deleted.
   * @example setInterval(() => void store.deleteExpired(), 15 * 60_000)
   */
  async deleteExpired(): Promise<number> {
    const batchSize = this.#deleteBatchSize
    const now = Date.now()
    let total = 0
    for (;;) {
      const deleted = (await this.#run('deleteExpired', [now, batchSize])).rowCount ?? 0
      total += deleted
      if (deleted < batchSize) return total
    }
  }

  /**
   * Every live row, each exactly once, `batchSize` rows per query, in key order (keyset
   * pagination: no cursor or transaction stays open between batches). Rows inserted during the
   * scan are yielded if their key sorts after the current position.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let after: string | undefined
    for (;;) {
      const { rows } =
        after === undefined
          ? await this.#run('scanFirst', [Date.now(), batchSize])
          : await this.#run('scanNext', [Date.now(), batchSize, after])
      // Rows that cannot be decoded are skipped, but still move the position on.
      yield* recordsFromRows(rows as SessionRow[])
      if (rows.length < batchSize) return
      after = (rows[rows.length - 1] as SessionRow | undefined)?.key
    }
  }

  /**
   * The live records bound to `owner`: one query, a lookup in the owner index.
   * @example const records = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    const { rows } = await this.#run('listOwner', [owner, Date.now()])
    return recordsFromRows(rows as SessionRow[])
  }

  /**
   * Runs one statement. A statement whose connection died is sent once more: the pool hands out
   * another connection, and every statement is safe to repeat (reads and deletes are
   * idempotent; a repeated create or compare-and-set whose first attempt had committed answers
   * false, and the engine recognizes its own write by the record's token).
   */
  async #run(statement: Statement, values: unknown[]) {
    const name = this.#names?.[statement]
    const text = this.#sql[statement]
    const query = name === undefined ? { text, values } : { name, text, values }
    try {
      try {
        return await this.#client.query(query)
      } catch (error) {
        if (!isDeadConnection(error)) throw error
        return await this.#client.query(query)
      }
    } catch (error) {
      const refused = WRITES.has(statement) ? refusedValue(error) : undefined
      if (refused !== undefined) throw unstorableValue(refused, error)
      if (isMissingTable(error)) {
        throw missingTable('PostgresStore', this.#table, runMigrate('schemas/postgres.sql'), error)
      }
      throw storeFailure(OPERATION[statement], error)
    }
  }
}

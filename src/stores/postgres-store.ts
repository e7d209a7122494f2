import { SessionError, storeFailure } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { checkIdentifier, recordFromRow, rowValues, type SessionRow } from './sql-support.js'

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

const COLUMNS = 'key, data, created_at, expires_at, version, schema_version, expiry'

/** FNV-1a, 32 bits, as 8 hex digits: short stable names derived from longer text. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(16).padStart(8, '0')
}

/** The SQL of one store: every statement, built once from the checked identifiers. */
function statementsFor(schemaName: string, tableName: string) {
  const table = `"${schemaName}"."${tableName}"`
  // PostgreSQL truncates names to 63 bytes; a long table name gets a hash so that two tables
  // never end up sharing (and so skipping) one index name.
  const plainIndex = `${tableName}_expires_at_idx`
  const index =
    plainIndex.length <= 63
      ? plainIndex
      : `${tableName.slice(0, 38)}_${shortHash(tableName)}_expires_at_idx`
  const upsertSet =
    'data = EXCLUDED.data, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, ' +
    'version = EXCLUDED.version, schema_version = EXCLUDED.schema_version, expiry = EXCLUDED.expiry'
  return {
    // One DO block: one round trip, one transaction. The advisory lock serializes concurrent
    // migrations (CREATE ... IF NOT EXISTS alone can still fail on a unique index of the
    // catalog), and each object is created only if missing, so an application role without DDL
    // privileges can call migrate() once the table exists.
    migrate: `DO $migrate$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('typed-sessions migrate'));
  IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = '${schemaName}') THEN
    CREATE SCHEMA IF NOT EXISTS "${schemaName}";
  END IF;
  IF NOT EXISTS (
    SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '${schemaName}' AND c.relname = '${tableName}'
  ) THEN
    CREATE TABLE IF NOT EXISTS ${table} (
      key TEXT COLLATE "C" PRIMARY KEY, -- base64url hashes: byte order is enough, and cheaper
      data JSONB NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      version INTEGER NOT NULL,
      schema_version INTEGER NOT NULL,
      expiry JSONB NULL
    );
  END IF;
  IF NOT EXISTS (
    SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '${schemaName}' AND c.relname = '${index}'
  ) THEN
    CREATE INDEX IF NOT EXISTS "${index}" ON ${table} (expires_at);
  END IF;
END
$migrate$`,
    // An expired row with the key is replaced; a live one is a collision (no row affected).
    create: `INSERT INTO ${table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (key) DO UPDATE SET ${upsertSet} WHERE ${table}.expires_at <= $8`,
    load: `SELECT ${COLUMNS} FROM ${table} WHERE key = $1 AND expires_at > $2`,
    upsert: `INSERT INTO ${table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (key) DO UPDATE SET ${upsertSet}`,
    // Under READ COMMITTED a concurrent UPDATE waits for the row lock, then re-checks this WHERE
    // on the new row version: of concurrent saves of one version exactly one matches.
    compareAndSet: `UPDATE ${table} SET data = $2, created_at = $3, expires_at = $4, version = $5,
schema_version = $6, expiry = $7 WHERE key = $1 AND version = $8 AND expires_at > $9`,
    delete: `DELETE FROM ${table} WHERE key = $1`,
    // SKIP LOCKED: two processes sweeping at once share the work instead of waiting on each other.
    deleteExpired: `DELETE FROM ${table} WHERE key IN (
SELECT key FROM ${table} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    scanFirst: `SELECT ${COLUMNS} FROM ${table} WHERE expires_at > $1 ORDER BY key LIMIT $2`,
    scanNext: `SELECT ${COLUMNS} FROM ${table} WHERE key > $3 AND expires_at > $1 ORDER BY key LIMIT $2`,
  }
}

type Statement = Exclude<keyof ReturnType<typeof statementsFor>, 'migrate'>

/**
 * The statements of every request, sent as named prepared statements: measured on PostgreSQL 15,
 * parsing and planning once per connection made a load about 10-30% faster. The rare ones
 * (deleteExpired, scan) stay unnamed, so each run is planned for its own `now`.
 */
const PREPARED: readonly Statement[] = ['create', 'load', 'upsert', 'compareAndSet', 'delete']

/** The store method each statement serves, for error messages. */
const OPERATION: Record<Statement, string> = {
  create: 'create',
  load: 'load',
  upsert: 'save',
  compareAndSet: 'save',
  delete: 'delete',
  deleteExpired: 'deleteExpired',
  scanFirst: 'scan',
  scanNext: 'scan',
}

/**
 * A session store on PostgreSQL through node-postgres (`pg`). One row per session in a table
 * with a JSONB `data` column; every operation is one round trip. Expiry is judged by the
 * application's clock (`Date.now()`, which also computed `expiresAt`), not the server's. Expired
 * rows are never loaded; call `deleteExpired()` periodically to reclaim them. JSONB cannot hold U+0000 in strings: a
 * session value containing it fails to save with `STORE_UNAVAILABLE` (the driver error as
 * `cause`).
 * @example
 * import pg from 'pg'
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
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
   * Creates the schema, the table and its `expires_at` index if they are missing (the DDL of
   * `schemas/postgres.sql`), in one round trip. Safe to call at every start-up, from several
   * processes at once; it needs CREATE privileges only while something is missing.
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
    const result = await this.#run('create', [...rowValues(record), Date.now()])
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
    if (expectedVersion === undefined) {
      await this.#run('upsert', rowValues(record))
      return true
    }
    const result = await this.#run('compareAndSet', [
      ...rowValues(record),
      expectedVersion,
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
      const records = (rows as SessionRow[]).map(recordFromRow)
      yield* records
      if (records.length < batchSize) return
      after = records[records.length - 1]?.key
    }
  }

  async #run(statement: Statement, values: unknown[]) {
    const name = this.#names?.[statement]
    const text = this.#sql[statement]
    try {
      return await this.#client.query(
        name === undefined ? { text, values } : { name, text, values }
      )
    } catch (error) {
      throw storeFailure(OPERATION[statement], error)
    }
  }
}

import pg from 'pg'
import type { SessionRecord } from 'typed-sessions'
import { PostgresStore, type PostgresQueryable } from 'typed-sessions/postgres'
import { INT_COLUMN_VERSIONS, rowValues } from '../src/stores/sql-support.js'
import type { SeededStore } from './per-user-records.js'

/*
 * PostgresStore seeded in bulk for bench/per-user.ts: the table made by the store's own
 * `migrate()` (its owner column and partial owner index included), then the rows as the store
 * encodes them (`rowValues`, what its INSERT sends), thousands per multi-row INSERT of `unnest`
 * arrays. In a schema of its own, dropped at the end. `checkSeededLayout` compares the rows with
 * what the store writes.
 */

const SCHEMA = 'bench_per_user'
const COLUMNS = 'key, data, created_at, expires_at, version, schema_version, expiry, token, owner'
const TYPES = ['text', 'jsonb', 'bigint', 'bigint', 'integer', 'integer', 'jsonb', 'text', 'text']
/** Rows per INSERT. */
const BATCH = 5000

/** The benchmark's PostgreSQL: the schema `bench_per_user` of `url`'s database. */
export async function connectPostgresBench(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', (error) => console.error('idle PostgreSQL connection lost', error))
  // What a run that was killed left, then a schema of its own.
  await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`)
  await pool.query(`CREATE SCHEMA "${SCHEMA}"`)
  return {
    schema: SCHEMA,
    open: (label: string) => seededPostgresStore(pool, label),
    close: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`)
      await pool.end()
    },
  }
}

async function seededPostgresStore(pool: pg.Pool, tableName: string): Promise<SeededStore> {
  let sent = 0
  const counting: PostgresQueryable = {
    query: (config) => (sent++, pool.query(config)),
  }
  const store = new PostgresStore(counting, { schemaName: SCHEMA, tableName })
  await store.migrate()
  const table = `"${SCHEMA}"."${tableName}"`
  const insert = `INSERT INTO ${table} (${COLUMNS}) SELECT * FROM unnest(${TYPES.map(
    (type, i) => `$${i + 1}::${type}[]`
  ).join(', ')})`
  return {
    store,
    calls: () => sent,
    async seed(records) {
      // One connection with asynchronous commit: the seeding is not what is measured.
      const client = await pool.connect()
      try {
        await client.query('SET synchronous_commit TO off')
        for (let from = 0; from < records.length; from += BATCH) {
          await client.query(insert, columnsOf(records.slice(from, from + BATCH)))
        }
        await client.query('RESET synchronous_commit')
      } finally {
        client.release()
      }
    },
    // The planner's statistics after a bulk load, as autovacuum would bring them.
    settle: async () => void (await pool.query(`ANALYZE ${table}`)),
    async raw(records) {
      const { rows } = await pool.query(
        `SELECT ${COLUMNS} FROM ${table} WHERE key = ANY($1::text[]) ORDER BY key`,
        [records.map(({ key }) => key)]
      )
      return rows
    },
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`)
    },
  }
}

/** The rows of `records` as the store encodes them, column by column (one array each). */
function columnsOf(records: readonly SessionRecord[]): unknown[][] {
  const columns: unknown[][] = TYPES.map(() => [])
  for (const record of records) {
    rowValues(record, INT_COLUMN_VERSIONS).forEach((value, i) => columns[i]!.push(value))
  }
  return columns
}

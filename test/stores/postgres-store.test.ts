import { readFile } from 'node:fs/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { PostgresStore, type PostgresStoreOptions } from '../../src/stores/postgres-store.js'
import { services, skipReasonFor } from '../helpers/services.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { StatementLog } from '../helpers/sql-read-cost.js'
import {
  expectBoundRowsSweptInBatches,
  expectReturningVisitorStatements,
  expectScanReturnsOwners,
} from '../helpers/sql-owner-rows.js'
import { loggedPostgresPool, postgresOwnerIndexHooks } from '../helpers/sql-server-read-cost.js'

/**
 * Every pool this file opens, ended in afterAll. Commits skip the WAL flush: the 10,000-record scan
 * test is write-bound, and a crash of the test server may lose test rows.
 */
const pools: pg.Pool[] = []
function openPool(
  config: pg.PoolConfig = {
    connectionString: services.postgres,
    options: '-c synchronous_commit=off',
  }
): pg.Pool {
  const pool = new pg.Pool(config)
  pool.on('error', () => {}) // an idle client dropped by the server must not crash the run
  pools.push(pool)
  return pool
}

const pool = openPool()
const skipReason = await skipReasonFor('PostgreSQL', services.postgres, () =>
  pool.query('SELECT 1')
)

/** This file's own schema, dropped with everything in it after the run. */
const schemaName = `ts_test_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
let tables = 0

afterAll(async () => {
  if (skipReason === undefined) await pool.query(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`)
  await Promise.all(pools.map((each) => each.end()))
})

// A fresh table per test: no one else writes to it, so counts are exact.
/** A store on a fresh table, its statements logged, with the owner-index hooks. */
async function storeWithHooks(options: PostgresStoreOptions = {}) {
  const tableName = `conformance_${++tables}`
  const log = new StatementLog()
  const store = new PostgresStore(loggedPostgresPool(pool, log), {
    schemaName,
    tableName,
    ...options,
  })
  await store.migrate()
  return { store, log, ...postgresOwnerIndexHooks(pool, `"${schemaName}"."${tableName}"`, log) }
}

describePerUserConcurrency('PostgresStore', () => storeWithHooks(), { skipReason })

describeStoreConformance('PostgresStore', () => storeWithHooks(), {
  skipReason,
  isolated: true,
  unreachable: () =>
    new PostgresStore(
      openPool({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        connectionTimeoutMillis: 1000,
      }),
      { schemaName }
    ),
})

/** Errors of `run`, or a failure if it resolves. */
async function failureOf(run: () => unknown): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected a failure')
}

describe.skipIf(skipReason !== undefined)('PostgresStore options and DDL', () => {
  it('rejects a schema or table name that is not a plain identifier', async () => {
    for (const options of [
      { schemaName: 'x"; DROP TABLE y; --' },
      { tableName: 'sessions; DROP TABLE y' },
      { tableName: '1sessions' },
      { schemaName: '' },
    ]) {
      const error = await failureOf(() => new PostgresStore(pool, options))
      expect(isSessionError(error) && error.code, JSON.stringify(options)).toBe('CONFIG')
    }
  })

  it('keeps mixed-case schema and table names as given, quoted', async () => {
    const tableName = `Mixed_Case_${++tables}`
    const store = new PostgresStore(pool, { schemaName, tableName })
    await store.migrate()
    const record = makeRecord('k')
    expect(await store.create(record)).toBe(true)
    const { rows } = await pool.query(`SELECT key FROM "${schemaName}"."${tableName}"`)
    expect(rows).toStrictEqual([{ key: 'k' }])
    // Another store on the lower-cased name is another table.
    const other = new PostgresStore(pool, { schemaName, tableName: tableName.toLowerCase() })
    await other.migrate()
    expect(await other.load('k')).toBeUndefined()
    expect(await store.load('k')).toStrictEqual(record)
  })

  it('gives tables with long names sharing a prefix an index each', async () => {
    const prefix = `long_${++tables}_`.padEnd(55, 'x')
    const names = [`${prefix}_first__`, `${prefix}_second_`]
    for (const tableName of names) {
      await new PostgresStore(pool, { schemaName, tableName }).migrate()
    }
    const { rows } = await pool.query(
      `SELECT tablename, indexname FROM pg_indexes
       WHERE schemaname = $1 AND tablename = ANY($2) AND indexname LIKE '%expires_at_idx'`,
      [schemaName, names]
    )
    expect(rows.map((row) => row.tablename).sort()).toStrictEqual(names)
    expect(rows.every((row) => row.indexname.length <= 63)).toBe(true)
  })

  it('creates a missing schema, and several stores can share one', async () => {
    const ownSchema = `${schemaName}_own`
    try {
      const first = new PostgresStore(pool, { schemaName: ownSchema, tableName: 'a' })
      const second = new PostgresStore(pool, { schemaName: ownSchema, tableName: 'b' })
      await Promise.all([first.migrate(), second.migrate()])
      await first.create(makeRecord('k', { data: { table: 'a' } }))
      await second.create(makeRecord('k', { data: { table: 'b' } }))
      expect((await first.load('k'))?.data).toStrictEqual({ table: 'a' })
      expect((await second.load('k'))?.data).toStrictEqual({ table: 'b' })
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${ownSchema}" CASCADE`)
    }
  })

  // Without the advisory lock, 57 of 80 such calls failed on pg_namespace_nspname_index (PG 15).
  it('migrate() from four processes at once creates one table and fails none', async () => {
    const ownSchema = `${schemaName}_race`
    try {
      const stores = Array.from(
        { length: 4 },
        () => new PostgresStore(openPool(), { schemaName: ownSchema, tableName: 'sessions' })
      )
      await Promise.all(stores.map((store) => store.migrate()))
      await Promise.all(stores.map((store) => store.migrate()))
      const { rows } = await pool.query(
        'SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1',
        [ownSchema]
      )
      expect(rows[0].n).toBe(1)
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${ownSchema}" CASCADE`)
    }
  })

  it('migrate() creates exactly what schemas/postgres.sql describes', async () => {
    const migrated = `${schemaName}_migrated`
    const fromFile = `${schemaName}_file`
    try {
      await new PostgresStore(pool, { schemaName: migrated }).migrate()
      const sql = await readFile(new URL('../../schemas/postgres.sql', import.meta.url), 'utf8')
      expect(sql).toContain('"public"."sessions"')
      await pool.query(sql.replaceAll('"public"', `"${fromFile}"`))

      const structureOf = async (schema: string) => {
        const columns = await pool.query(
          `SELECT column_name, ordinal_position, data_type, is_nullable, column_default,
                  collation_name, numeric_precision
           FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = 'sessions' ORDER BY ordinal_position`,
          [schema]
        )
        const indexes = await pool.query(
          `SELECT indexname, replace(indexdef, $1::text || '.', '') AS indexdef
           FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`,
          [schema]
        )
        return { columns: columns.rows, indexes: indexes.rows }
      }
      const expected = await structureOf(fromFile)
      expect(expected.columns.map((column) => column.column_name)).toStrictEqual([
        'key',
        'data',
        'created_at',
        'expires_at',
        'version',
        'schema_version',
        'expiry',
        'token',
        'owner',
      ])
      expect(expected.indexes.map((index) => index.indexname)).toStrictEqual([
        'sessions_expires_at_idx',
        'sessions_owner_idx',
        'sessions_pkey',
      ])
      expect(await structureOf(migrated)).toStrictEqual(expected)
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${migrated}" CASCADE`)
      await pool.query(`DROP SCHEMA IF EXISTS "${fromFile}" CASCADE`)
    }
  })

  it('migrate() needs no DDL privilege once the table exists', async () => {
    const tableName = `privileges_${++tables}`
    await new PostgresStore(pool, { schemaName, tableName }).migrate()
    const role = `${schemaName}_app`
    await pool.query(`CREATE ROLE "${role}" NOLOGIN`)
    const client = await pool.connect()
    try {
      await pool.query(`GRANT USAGE ON SCHEMA "${schemaName}" TO "${role}"`)
      await pool.query(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON "${schemaName}"."${tableName}" TO "${role}"`
      )
      await client.query(`SET ROLE "${role}"`)
      const store = new PostgresStore(client, { schemaName, tableName })
      await store.migrate()
      expect(await store.create(makeRecord('k'))).toBe(true)
      // Without the table, the same role cannot create it: the failure is reported, not hidden.
      const missing = new PostgresStore(client, { schemaName, tableName: `${tableName}_missing` })
      const error = await failureOf(() => missing.migrate())
      expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
      expect((error as Error).cause).toBeInstanceOf(Error)
    } finally {
      await client.query('RESET ROLE')
      client.release()
      await pool.query(`DROP OWNED BY "${role}"`)
      await pool.query(`DROP ROLE "${role}"`)
    }
  })
})

describe.skipIf(skipReason !== undefined)('PostgresStore expiry and batches', () => {
  let store: PostgresStore
  let tableName: string

  beforeAll(async () => {
    tableName = `batches_${++tables}`
    store = new PostgresStore(pool, { schemaName, tableName, deleteBatchSize: 10 })
    await store.migrate()
  })

  it('deleteExpired deletes more rows than one batch, in batches, and keeps live rows', async () => {
    const past = Date.now() - 60_000
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.create(makeRecord(`expired-${i}`, { expiresAt: past }))
      )
    )
    await Promise.all(Array.from({ length: 3 }, (_, i) => store.create(makeRecord(`live-${i}`))))

    expect(await store.deleteExpired()).toBe(25)
    expect(await store.deleteExpired()).toBe(0)
    const { rows } = await pool.query(`SELECT key FROM "${schemaName}"."${tableName}" ORDER BY key`)
    expect(rows.map((row) => row.key)).toStrictEqual(['live-0', 'live-1', 'live-2'])
  })

  it('deleteExpired deletes bound rows deleteBatchSize per statement, and their owner index entries', async () => {
    const { store, ...probe } = await storeWithHooks({ deleteBatchSize: 10 })
    await expectBoundRowsSweptInBatches(store, probe, 10)
  })

  it('scan returns each record with its owner', async () => {
    const { store } = await storeWithHooks()
    await expectScanReturnsOwners(store)
  })

  it('deleteExpired with exactly one full batch stops after the empty one', async () => {
    const past = Date.now() - 60_000
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.create(makeRecord(`full-${i}`, { expiresAt: past }))
      )
    )
    expect(await store.deleteExpired()).toBe(10)
  })

  it('rejects a batchSize that is not a positive integer', async () => {
    for (const batchSize of [0, -1, 1.5]) {
      const creating = await failureOf(
        async () => new PostgresStore(pool, { schemaName, tableName, deleteBatchSize: batchSize })
      )
      expect(isSessionError(creating) && creating.code).toBe('CONFIG')
      const scanning = await failureOf(async () => {
        for await (const _ of store.scan({ batchSize })) void _
      })
      expect(isSessionError(scanning) && scanning.code).toBe('CONFIG')
    }
  })

  it('an expired row is kept until deleteExpired, but never loaded, saved or scanned', async () => {
    const record = makeRecord('stale', { expiresAt: Date.now() - 1 })
    expect(await store.create(record)).toBe(true)
    expect(await store.load('stale')).toBeUndefined()
    expect(await store.save({ ...record, version: 1 }, 0)).toBe(false)
    for await (const each of store.scan()) expect(each.key).not.toBe('stale')
    const { rows } = await pool.query(
      `SELECT version FROM "${schemaName}"."${tableName}" WHERE key = 'stale'`
    )
    expect(rows).toStrictEqual([{ version: 0 }])
  })

  it('works without prepared statements, e.g. behind a transaction-mode pooler', async () => {
    const plain = new PostgresStore(pool, { schemaName, tableName, preparedStatements: false })
    const record = makeRecord('plain')
    expect(await plain.create(record)).toBe(true)
    expect(await plain.save({ ...record, version: 1 }, 0)).toBe(true)
    expect(await store.load('plain')).toStrictEqual({ ...record, version: 1 })
  })
})

describe.skipIf(skipReason !== undefined)('PostgresStore round trips', () => {
  it('serves a returning visitor, logged in or not, with two statements: one SELECT and one conditional UPDATE', async () => {
    const { store, log } = await storeWithHooks()
    await expectReturningVisitorStatements(store, log)
  })
})

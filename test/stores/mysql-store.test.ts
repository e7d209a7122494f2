import { readFile } from 'node:fs/promises'
import mysql from 'mysql2/promise'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { MySqlStore, type MySqlPool } from 'typed-sessions/mysql'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { services, skipReasonFor } from '../helpers/services.js'
import { showCreateTable } from '../helpers/store-servers.js'
import { StatementLog } from '../helpers/sql-read-cost.js'
import {
  expectBoundRowsSweptInBatches,
  expectReturningVisitorStatements,
  expectScanReturnsOwners,
} from '../helpers/sql-owner-rows.js'
import { loggedMySqlPool, mySqlOwnerIndexHooks } from '../helpers/sql-server-read-cost.js'

const pool = mysql.createPool({ uri: services.mysql, connectionLimit: 10 })
const skipReason = await skipReasonFor('MySQL/MariaDB', services.mysql, () =>
  pool.query('SELECT 1')
)

// Every table of this file run starts with `base`, so concurrent runs never share a table.
const base = `sessions_test_${crypto.randomUUID().slice(0, 8)}`
let tables = 0
const created = new Set<string>()

/**
 * A fresh table of this file run, migrated by a store over `over` (the file's pool by default);
 * dropped by `drop` or in afterAll.
 */
async function freshStore(options: { deleteBatchSize?: number } = {}, over: MySqlPool = pool) {
  const tableName = `${base}_${++tables}`
  const store = new MySqlStore(over, { tableName, ...options })
  created.add(tableName)
  await store.migrate()
  return { store, tableName }
}

async function drop(tableName: string): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS \`${tableName}\``)
  created.delete(tableName)
}

const unreachablePools: mysql.Pool[] = []

afterAll(async () => {
  if (skipReason === undefined) for (const tableName of [...created]) await drop(tableName)
  await Promise.all(unreachablePools.map((down) => down.end()))
  await pool.end()
})

/** A fresh table's store, its statements logged, with the owner-index hooks. */
async function storeWithHooks(options: { deleteBatchSize?: number } = {}) {
  const log = new StatementLog()
  const { store, tableName } = await freshStore(options, loggedMySqlPool(pool, log))
  return {
    store,
    log,
    ...mySqlOwnerIndexHooks(pool, tableName, log),
    cleanup: () => drop(tableName),
  }
}

describePerUserConcurrency('MySqlStore', () => storeWithHooks(), { skipReason })

describeStoreConformance('MySqlStore', () => storeWithHooks(), {
  // Spread: the helper's skipReason is optional without `| undefined`.
  ...(skipReason === undefined ? {} : { skipReason }),
  isolated: true,
  unreachable: () => {
    const down = mysql.createPool({
      host: '127.0.0.1',
      port: 1,
      user: 'root',
      connectTimeout: 1000,
    })
    unreachablePools.push(down)
    return new MySqlStore(down, { tableName: 'sessions' })
  },
})

function expectConfigError(run: () => unknown): void {
  let error: unknown
  try {
    run()
  } catch (caught) {
    error = caught
  }
  expect(isSessionError(error) && error.code).toBe('CONFIG')
}

describe.skipIf(skipReason !== undefined)('MySqlStore', () => {
  it('rejects a table name that is not a plain identifier', () => {
    for (const tableName of ['x`; DROP TABLE y; --', '1sessions', 'a-b', '', 'a'.repeat(64)]) {
      expectConfigError(() => new MySqlStore(pool, { tableName }))
    }
  })

  it('rejects a deleteBatchSize that is not a positive integer, and a pool without execute', () => {
    for (const deleteBatchSize of [0, -1, 1.5, Number.NaN]) {
      expectConfigError(() => new MySqlStore(pool, { deleteBatchSize }))
    }
    expectConfigError(() => new MySqlStore({} as mysql.Pool))
  })

  it('accepts the promise wrapper of a callback pool', () => {
    const callbackPool = mysql.createPool({ uri: services.mysql }).pool
    expect(() => new MySqlStore(callbackPool.promise())).not.toThrow()
    callbackPool.end(() => undefined)
  })

  it('writes to the custom table it was given, and migrate() twice is harmless', async () => {
    const { store, tableName } = await freshStore()
    await store.migrate()
    const record = makeRecord('custom-table')
    expect(await store.create(record)).toBe(true)
    await store.migrate()
    expect(await store.load(record.key)).toStrictEqual(record)
    const [rows] = await pool.query(`SELECT \`key\` FROM \`${tableName}\``)
    expect(rows).toStrictEqual([{ key: 'custom-table' }])
    await drop(tableName)
  })

  it('keys differing only in letter case are distinct records', async () => {
    const { store, tableName } = await freshStore()
    const lower = makeRecord('abcdefghijklmnopqrstuvwxyz0123456789-_abcde', {
      data: { v: 'lower' },
    })
    const upper = makeRecord(lower.key.toUpperCase(), { data: { v: 'upper' } })
    expect(await store.create(lower)).toBe(true)
    expect(await store.create(upper)).toBe(true)
    expect(await store.load(lower.key)).toStrictEqual(lower)
    expect(await store.load(upper.key)).toStrictEqual(upper)
    await store.delete(upper.key)
    expect(await store.load(lower.key)).toStrictEqual(lower)
    await drop(tableName)
  })

  it('migrate() creates the same table as schemas/mysql.sql', async () => {
    const { tableName: migrated } = await freshStore()
    const fromFile = `${base}_${++tables}`
    created.add(fromFile)
    const sql = await readFile(new URL('../../schemas/mysql.sql', import.meta.url), 'utf8')
    expect(sql).toContain('`sessions`')
    await pool.query(sql.replaceAll('`sessions`', `\`${fromFile}\``))

    expect(await showCreateTable(pool, fromFile)).toBe(await showCreateTable(pool, migrated))
    expect(await showCreateTable(pool, migrated)).toMatch(/utf8mb4_bin/)
    await drop(migrated)
    await drop(fromFile)
  })

  it('deleteExpired deletes across more rows than one batch and returns the total', async () => {
    const { store, tableName } = await freshStore({ deleteBatchSize: 7 })
    const past = Date.now() - 60_000
    const expired = Array.from({ length: 30 }, (_, i) =>
      makeRecord(`expired-${i}`, { expiresAt: past })
    )
    const live = Array.from({ length: 5 }, (_, i) => makeRecord(`live-${i}`))
    await Promise.all([...expired, ...live].map((record) => store.create(record)))

    expect(await store.deleteExpired()).toBe(30)
    const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM \`${tableName}\``)
    expect(Number((rows as { n: number }[])[0]?.n)).toBe(5)
    expect(await store.deleteExpired()).toBe(0)
    await drop(tableName)
  })

  it('deleteExpired deletes bound rows deleteBatchSize per statement, and their owner index entries', async () => {
    const { store, cleanup, ...probe } = await storeWithHooks({ deleteBatchSize: 7 })
    await expectBoundRowsSweptInBatches(store, probe, 7)
    await cleanup()
  })

  it('scan returns each record with its owner', async () => {
    const { store, cleanup } = await storeWithHooks()
    await expectScanReturnsOwners(store)
    await cleanup()
  })

  it('create reports a collision as false also when the pool does not send FOUND_ROWS', async () => {
    const other = mysql.createPool({
      uri: services.mysql,
      connectionLimit: 2,
      flags: ['-FOUND_ROWS'],
    })
    try {
      const { tableName } = await freshStore()
      const store = new MySqlStore(other, { tableName })
      const record = makeRecord('flags')
      expect(await store.create(record)).toBe(true)
      expect(await store.create(makeRecord(record.key, { data: { who: 'second' } }))).toBe(false)
      const next = { ...record, data: { count: 2 }, version: 1 }
      expect(await store.save(next, 0)).toBe(true)
      expect(await store.save(next, 0)).toBe(false)
      expect(await store.load(record.key)).toStrictEqual(next)
      await drop(tableName)
    } finally {
      await other.end()
    }
  })

  it('the server accepts 1 MB values (max_allowed_packet)', async () => {
    const [rows] = await pool.query('SELECT @@max_allowed_packet AS size')
    expect(Number((rows as { size: number }[])[0]?.size)).toBeGreaterThanOrEqual(4 * 1024 * 1024)
  })
})

describe.skipIf(skipReason !== undefined)('MySqlStore round trips', () => {
  it('serves a returning visitor, logged in or not, with two statements: one SELECT and one conditional UPDATE', async () => {
    const { store, log, cleanup } = await storeWithHooks()
    await expectReturningVisitorStatements(store, log)
    await cleanup()
  })
})

import { readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import type { SqliteDatabase } from '../../src/stores/sqlite-store.js'
import { sqliteFiles } from '../helpers/sqlite-files.js'
import { sqliteStoreWithHooks } from '../helpers/sql-read-cost.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import {
  expectBoundRowsSweptInBatches,
  expectReturningVisitorStatements,
  expectScanReturnsOwners,
} from '../helpers/sql-owner-rows.js'

const { openDatabase, migratedStore, remove } = sqliteFiles()
afterAll(remove)

/** Whether `promise` rejects with `SessionError` `code`. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<unknown> {
  const error = await promise.then(
    () => new Error('the operation succeeded'),
    (e: unknown) => e
  )
  expect(isSessionError(error) && error.code).toBe(code)
  return error
}

/** A migrated store on a new database, with the owner-index hooks. */
const storeWithHooks = () => sqliteStoreWithHooks(openDatabase())

describePerUserConcurrency('SqliteStore (a WAL file)', storeWithHooks)

describeStoreConformance('SqliteStore', storeWithHooks, {
  isolated: true,
  unreachable: async () => {
    const { db, store } = await migratedStore()
    db.close()
    return store
  },
})

describe('SqliteStore options', () => {
  it('rejects a table name that is not a plain identifier with CONFIG', () => {
    const db = new Database(':memory:')
    for (const tableName of ['sessions; DROP TABLE x', 'a"b', '', '1sessions', 'x'.repeat(64)]) {
      expect(() => new SqliteStore(db, { tableName })).toThrow(
        expect.objectContaining({ name: 'SessionError', code: 'CONFIG' })
      )
    }
    db.close()
  })

  it('rejects something that is not a database with CONFIG', () => {
    expect(() => new SqliteStore({} as SqliteDatabase)).toThrow(
      expect.objectContaining({ code: 'CONFIG' })
    )
  })

  it('keeps stores with different table names apart, also one named after a keyword', async () => {
    const db = openDatabase()
    const { store: first } = await migratedStore({ tableName: 'order' }, db)
    const { store: second } = await migratedStore({ tableName: 'web_sessions_2' }, db)
    const record = makeRecord('k')
    expect(await first.create(record)).toBe(true)
    expect(await second.load('k')).toBeUndefined()
    expect(await second.create(makeRecord('k', { data: { other: true } }))).toBe(true)
    expect(await first.load('k')).toStrictEqual(record)
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all()
    expect(tables).toStrictEqual(['order', 'web_sessions_2'])
    db.close()
  })

  it('accepts any object with prepare and exec, and prepares each statement only once', async () => {
    const db = openDatabase()
    let prepares = 0
    const counting: SqliteDatabase = {
      prepare: (source) => {
        prepares++
        return db.prepare(source)
      },
      exec: (source) => db.exec(source),
    }
    const store = new SqliteStore(counting)
    await store.migrate()
    const use = async (key: string) => {
      await store.create(makeRecord(key))
      await store.save(makeRecord(key, { version: 1 }), 0)
      await store.save(makeRecord(key, { version: 2 }))
      await store.load(key)
      for await (const _ of store.scan({ batchSize: 1 })) void _
      await store.deleteExpired()
      await store.delete(key)
    }
    await use('a')
    const afterFirstUse = prepares
    for (let i = 0; i < 20; i++) await use(`k${i}`)
    expect(prepares).toBe(afterFirstUse)
    // The nine statements, and migrate's check for missing columns.
    expect(afterFirstUse).toBeLessThanOrEqual(10)
    db.close()
  })

  it('returns numbers, not bigints, from a database that reads safe integers', async () => {
    const db = openDatabase()
    db.defaultSafeIntegers(true)
    const { store } = await migratedStore({}, db)
    const record = makeRecord('k', { version: 0, schemaVersion: 2 })
    await store.create(record)
    expect(await store.load('k')).toStrictEqual(record)
    db.close()
  })
})

/** Tables, columns and indexes of `table`, as SQLite reports them. */
function schemaOf(db: Database.Database, table: string) {
  const indexes = (db.pragma(`index_list("${table}")`) as { name: string }[])
    .map((index) => ({ ...index, columns: db.pragma(`index_xinfo("${index.name}")`) }))
    .sort((a, b) => a.name.localeCompare(b.name))
  return {
    table: db
      .prepare('SELECT type, ncol, wr, strict FROM pragma_table_list WHERE name = ?')
      .get(table),
    columns: db.pragma(`table_xinfo("${table}")`),
    indexes,
    sql: (
      db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').all() as {
        sql: string | null
      }[]
    ).map((row) => ({ ...row, sql: row.sql?.replace(/\s+/g, ' ') })),
  }
}

describe('SqliteStore migrate', () => {
  it('creates exactly the table and indexes of schemas/sqlite.sql', async () => {
    const { db: migrated } = await migratedStore()
    const fromFile = openDatabase()
    fromFile.exec(readFileSync(new URL('../../schemas/sqlite.sql', import.meta.url), 'utf8'))

    const expected = schemaOf(fromFile, 'sessions')
    expect(expected.columns).toHaveLength(9)
    expect(expected.indexes.map((index) => index.columns)).toContainEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'expires_at', key: 1 })])
    )
    expect(expected.indexes).toContainEqual(
      expect.objectContaining({
        name: 'sessions_owner',
        partial: 1,
        columns: expect.arrayContaining([expect.objectContaining({ name: 'owner', key: 1 })]),
      })
    )
    expect(schemaOf(migrated, 'sessions')).toStrictEqual(expected)
    migrated.close()
    fromFile.close()
  })

  it('is harmless to run twice, and keeps the records', async () => {
    const { db, store } = await migratedStore()
    const record = makeRecord('k')
    await store.create(record)
    await store.migrate()
    await new SqliteStore(db).migrate()
    expect(await store.load('k')).toStrictEqual(record)
    db.close()
  })
})

describe('SqliteStore failures and expiry', () => {
  it('rejects every operation on a closed database with STORE_UNAVAILABLE and a cause', async () => {
    const { db, store } = await migratedStore()
    await store.create(makeRecord('k')) // the statements are prepared before the close
    db.close()
    const record = makeRecord('k', { version: 1 })
    const scanAll = async () => {
      for await (const _ of store.scan()) void _
    }
    for (const run of [
      () => store.migrate(),
      () => store.create(record),
      () => store.load('k'),
      () => store.save(record),
      () => store.save(record, 0),
      () => store.delete('k'),
      () => store.deleteExpired(),
      scanAll,
    ]) {
      const error = await rejectsWith(run(), 'STORE_UNAVAILABLE')
      expect((error as Error).cause).toBeInstanceOf(TypeError)
    }
  })

  it('deleteExpired deletes more rows than one batch and leaves live ones', async () => {
    const { db, store } = await migratedStore()
    const past = Date.now() - 1000
    for (let i = 0; i < 2500; i++)
      await store.create(makeRecord(`expired-${i}`, { expiresAt: past }))
    for (let i = 0; i < 10; i++) await store.create(makeRecord(`live-${i}`))
    expect(await store.deleteExpired()).toBe(2500)
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(10)
    expect(await store.deleteExpired()).toBe(0)
    db.close()
  })

  it('deleteExpired deletes bound rows 1000 per statement, and their owner index entries', async () => {
    const { store, cleanup, ...probe } = await storeWithHooks()
    await expectBoundRowsSweptInBatches(store, probe, 1000)
    await cleanup()
  })

  it('scan returns each record with its owner', async () => {
    const { store, cleanup } = await storeWithHooks()
    await expectScanReturnsOwners(store)
    await cleanup()
  })

  it('rejects a scan batchSize that is not a positive integer with CONFIG', async () => {
    const { db, store } = await migratedStore()
    const scanAll = async () => {
      for await (const _ of store.scan({ batchSize: 0 })) void _
    }
    await rejectsWith(scanAll(), 'CONFIG')
    db.close()
  })
})

describe('SqliteStore round trips', () => {
  it('serves a returning visitor, logged in or not, with two statements: one SELECT and one conditional UPDATE', async () => {
    const { store, log, cleanup } = await storeWithHooks()
    await expectReturningVisitorStatements(store, log)
    await cleanup()
  })
})

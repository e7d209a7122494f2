import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordId, type Surreal } from 'surrealdb'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { SurrealStore, type SurrealQueryable } from '../../src/stores/surrealdb-store.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { CookieJar } from '../helpers/http.js'
import { counterApp } from '../helpers/store-apps.js'
import { embeddedSurreal, planReads, uniqueTable } from '../helpers/surrealdb.js'

// The embedded engine of @surrealdb/node, in memory: the real SurrealDB, in this process.
const db = await embeddedSurreal()
afterAll(() => db.close())
// The engine shares this process's thread: the suite's 10,000 creates take seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000 })

// RocksDB on disk, the storage of a SurrealDB server by default: its transactions are
// optimistic, so concurrent writes to one record conflict, and the store runs its statement again.
const directory = await mkdtemp(join(tmpdir(), 'surreal-rocksdb-'))
const onDisk = await embeddedSurreal(`rocksdb://${directory}/sessions`)
afterAll(async () => {
  await onDisk.close()
  await rm(directory, { recursive: true, force: true })
})

/**
 * A fresh table per test on `engine`: no one else writes to it, so the suite counts exactly.
 * Its owner index entries are the records `<table>_owner` finds for the owner, expired or not;
 * its reads are counted from SurrealDB's own plans.
 */
const setupOn = (engine: Surreal) => async () => {
  const table = uniqueTable()
  const { queryable, readCost } = planReads(engine)
  const store = new SurrealStore(queryable, { table })
  await store.migrate()
  const ownerIndexEntries = async (owner: string) => {
    const [[counted]] = await engine
      .query(
        `SELECT count() FROM ${table} WITH INDEX ${table}_owner WHERE owner = $owner GROUP ALL`,
        {
          owner,
        }
      )
      .collect<[[{ count: number }?]]>()
    return counted?.count ?? 0
  }
  return { store, cleanup: () => dropTable(table, engine), ownerIndexEntries, readCost }
}
const setup = setupOn(db)

async function dropTable(table: string, engine: Surreal = db): Promise<void> {
  await engine.query(`REMOVE TABLE IF EXISTS ${table}`).collect()
}

/** A store over an instance that was closed: every query fails at once. */
async function unreachable() {
  const closed = await embeddedSurreal()
  await closed.close()
  return new SurrealStore(closed)
}

describeStoreConformance('SurrealStore (mem://)', setup, { isolated: true, unreachable })
describeStoreConformance('SurrealStore (rocksdb://)', setupOn(onDisk), { isolated: true })
describeConcurrency('SurrealStore (mem://)', setup)
describeConcurrency('SurrealStore (rocksdb://)', setupOn(onDisk))
describePerUserConcurrency('SurrealStore (mem://)', setup)
describePerUserConcurrency('SurrealStore (rocksdb://)', setupOn(onDisk))

describe('SurrealStore on the embedded engine', () => {
  const isCode = (code: string) => (error: unknown) => isSessionError(error) && error.code === code

  /** A store on a fresh table, and that table's name. */
  async function freshStore() {
    const table = uniqueTable()
    const store = new SurrealStore(db, { table })
    await store.migrate()
    return { store, table }
  }

  it('keeps each session as one record <table>:⟨key⟩, its data as JSON text', async () => {
    const { store, table } = await freshStore()
    const record = makeRecord('a:b⟩c', { token: 't', expiry: { kind: 'onSessionEnd', ttl: 5 } })
    await store.create(record)
    const [stored] = await db
      .query('SELECT * FROM ONLY $id', { id: new RecordId(table, 'a:b⟩c') })
      .collect<[Record<string, unknown>]>()
    expect(stored['data']).toBe(JSON.stringify(record.data))
    expect(stored['version']).toBe(0)
    expect(stored['expiresAt']).toBe(record.expiresAt)
    expect(stored['token']).toBe('t')
    expect(stored['expiry']).toStrictEqual({ kind: 'onSessionEnd', ttl: 5 })
    await dropTable(table)
  })

  it('migrate defines the table and its expiresAt and owner indexes once, and again changes nothing', async () => {
    const { store, table } = await freshStore()
    expect(await store.save(makeRecord('absent', { version: 1 }), 0)).toBe(false)
    await store.create(makeRecord('kept'))
    await store.migrate()
    const [info] = await db
      .query(`INFO FOR TABLE ${table}`)
      .collect<[{ indexes: Record<string, string> }]>()
    expect(Object.keys(info.indexes).sort()).toStrictEqual([
      `${table}_expires_at`,
      `${table}_owner`,
    ])
    expect(info.indexes[`${table}_expires_at`]).toMatch(/FIELDS expiresAt/)
    expect(info.indexes[`${table}_owner`]).toMatch(/FIELDS owner/)
    expect(await store.load('kept')).toBeDefined()
    await dropTable(table)
  })

  it('load throws INVALID_STORED_DATA for a record it cannot decode, and scan skips it', async () => {
    const { store, table } = await freshStore()
    await store.create(makeRecord('good'))
    await store.create(makeRecord('corrupt'))
    await db
      .query(`UPDATE $id SET data = '{"trunc'`, { id: new RecordId(table, 'corrupt') })
      .collect()
    await expect(store.load('corrupt')).rejects.toSatisfy(isCode('INVALID_STORED_DATA'))
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['good'])
    await dropTable(table)
  })

  it('two stores on one database keep their tables apart', async () => {
    const first = await freshStore()
    const second = await freshStore()
    await first.store.create(makeRecord('same-key', { data: { table: 1 } }))
    await second.store.create(makeRecord('same-key', { data: { table: 2 } }))
    expect((await first.store.load('same-key'))?.data).toStrictEqual({ table: 1 })
    expect((await second.store.load('same-key'))?.data).toStrictEqual({ table: 2 })
    await dropTable(first.table)
    await dropTable(second.table)
  })

  it('writes that conflict on RocksDB are run again: every race has one winner and no error', async () => {
    // Without the rerun, about one race in ten fails with "Transaction conflict" here.
    const { store, cleanup } = await setupOn(onDisk)()
    for (let round = 0; round < 30; round++) {
      const record = makeRecord(`race-${round}`)
      const creates = await Promise.all(Array.from({ length: 10 }, () => store.create(record)))
      expect(creates.filter(Boolean)).toHaveLength(1)
      const saves = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          store.save({ ...record, data: { writer: i }, version: 1 }, 0)
        )
      )
      expect(saves.filter(Boolean)).toHaveLength(1)
      expect(await store.load(record.key)).toStrictEqual({
        ...record,
        data: { writer: saves.indexOf(true) },
        version: 1,
      })
    }
    await cleanup()
  })

  it('a returning visitor costs one query to read and one to write: SELECT, UPDATE', async () => {
    const table = uniqueTable()
    const statements: string[] = []
    const counted: SurrealQueryable = {
      query: (query, bindings) => {
        statements.push(query.slice(0, query.indexOf(' ')))
        return db.query(query, bindings)
      },
    }
    const jar = new CookieJar(counterApp(new SurrealStore(counted, { table })))
    expect(await jar.text('/count')).toBe('0')
    expect(await jar.text('/count')).toBe('1')
    statements.length = 0
    expect(await jar.text('/count')).toBe('2')
    expect(statements).toStrictEqual(['SELECT', 'UPDATE'])
    await dropTable(table)
  })

  it('rejects a table name that is not a plain identifier, and a non-client', () => {
    const config = isCode('CONFIG')
    expect(() => new SurrealStore(db, { table: 'a-b' })).toThrow(expect.toSatisfy(config))
    expect(() => new SurrealStore(db, { table: 'x; REMOVE DATABASE test' })).toThrow(
      expect.toSatisfy(config)
    )
    expect(() => new SurrealStore({} as SurrealQueryable)).toThrow(expect.toSatisfy(config))
  })
})

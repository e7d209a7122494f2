import { RecordId } from 'surrealdb'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { SurrealStore, type SurrealQueryable } from '../../src/stores/surrealdb-store.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { CookieJar } from '../helpers/http.js'
import { counterApp } from '../helpers/store-apps.js'
import { embeddedSurreal, uniqueTable } from '../helpers/surrealdb.js'

// The embedded engine of @surrealdb/node, in memory: the real SurrealDB, in this process.
const db = await embeddedSurreal()
afterAll(() => db.close())
// The engine shares this process's thread: the suite's 10,000 creates take seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000 })

/** A fresh table per test: no one else writes to it, so the suite counts exactly. */
async function setup() {
  const table = uniqueTable()
  const store = new SurrealStore(db, { table })
  await store.migrate()
  return { store, cleanup: () => dropTable(table) }
}

async function dropTable(table: string): Promise<void> {
  await db.query(`REMOVE TABLE IF EXISTS ${table}`).collect()
}

/** A store over an instance that was closed: every query fails at once. */
async function unreachable() {
  const closed = await embeddedSurreal()
  await closed.close()
  return new SurrealStore(closed)
}

describeStoreConformance('SurrealStore', setup, { isolated: true, unreachable })

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

  it('migrate defines the expiresAt index once, and again changes nothing', async () => {
    const { store, table } = await freshStore()
    await store.create(makeRecord('kept'))
    await store.migrate()
    const [info] = await db
      .query(`INFO FOR TABLE ${table}`)
      .collect<[{ indexes: Record<string, string> }]>()
    expect(Object.keys(info.indexes)).toStrictEqual([`${table}_expires_at`])
    expect(info.indexes[`${table}_expires_at`]).toMatch(/FIELDS expiresAt/)
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

import { RecordId } from 'surrealdb'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import { SurrealStore, type SurrealQueryable } from '../../src/stores/surrealdb-store.js'
import { CookieJar } from '../helpers/http.js'
import { expectPreviousSessionCarriedOver } from '../helpers/previous-release.js'
import { boundCounterApp } from '../helpers/store-apps.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { embeddedSurreal, planReads, uniqueTable } from '../helpers/surrealdb.js'

// SurrealStore's owner index beyond the conformance cases: the field and index it keeps, what a
// returning visitor pays for it, and a table of the previous release.

const db = await embeddedSurreal()
afterAll(() => db.close())
vi.setConfig({ testTimeout: 30_000 })
const tables: string[] = []
afterAll(async () => {
  for (const table of tables) await db.query(`REMOVE TABLE IF EXISTS ${table}`).collect()
})

const ada = ownerKeyOf('ada')
const newTable = () => {
  const table = uniqueTable()
  tables.push(table)
  return table
}
const stored = async (table: string, key: string) =>
  (
    await db
      .query('SELECT * FROM ONLY $id', { id: new RecordId(table, key) })
      .collect<[Record<string, unknown> | undefined]>()
  )[0]
/** A table as the previous release's `migrate` left it: the `expiresAt` index alone. */
async function previousReleaseTable(): Promise<string> {
  const table = newTable()
  await db
    .query(
      `DEFINE TABLE IF NOT EXISTS ${table} SCHEMALESS;
DEFINE INDEX IF NOT EXISTS ${table}_expires_at ON TABLE ${table} FIELDS expiresAt`
    )
    .collect()
  return table
}
const indexesOf = async (table: string) =>
  Object.keys(
    (await db.query(`INFO FOR TABLE ${table}`).collect<[{ indexes: object }]>())[0].indexes
  ).sort()

describe('SurrealStore owner index', () => {
  it('keeps the owner key as a field of the record, gone when a save unbinds it', async () => {
    const table = newTable()
    const store = new SurrealStore(db, { table })
    await store.migrate()
    const record = makeRecord('bound', { owner: ada })
    await store.create(record)
    expect((await stored(table, 'bound'))?.['owner']).toBe(ada)
    const unbound = { ...record, version: 1 }
    delete unbound.owner
    expect(await store.save(unbound, 0)).toBe(true)
    expect(await stored(table, 'bound')).not.toHaveProperty('owner')
    expect(await store.listOwner(ada)).toStrictEqual([])
  })

  it('a bound record that cannot be decoded is left out of the listing, which goes on', async () => {
    const table = newTable()
    const store = new SurrealStore(db, { table })
    await store.migrate()
    await store.create(makeRecord('good', { owner: ada }))
    await store.create(makeRecord('corrupt', { owner: ada }))
    await db
      .query(`UPDATE $id SET data = '{"trunc'`, { id: new RecordId(table, 'corrupt') })
      .collect()
    expect((await store.listOwner(ada)).map((record) => record.key)).toStrictEqual(['good'])
  })

  it('a returning visitor bound to a user costs what an unbound one does: SELECT, UPDATE', async () => {
    const table = newTable()
    const statements: string[] = []
    const counted: SurrealQueryable = {
      query: (query, bindings) => {
        statements.push(query.slice(0, query.indexOf(' ')))
        return db.query(query, bindings)
      },
    }
    const store = new SurrealStore(counted, { table })
    await store.migrate()
    const jar = new CookieJar(boundCounterApp(store))
    expect(await jar.text('/count')).toBe('0')
    await jar.fetch('/login/ada', { method: 'POST' })
    expect(await jar.text('/count')).toBe('1')
    statements.length = 0
    expect(await jar.text('/count')).toBe('2')
    expect(statements).toStrictEqual(['SELECT', 'UPDATE'])
  })

  it('a table of the previous release, with its sessions, is migrated, serves them on and binds them', async () => {
    const table = await previousReleaseTable()
    const store = new SurrealStore(db, { table })
    await expectPreviousSessionCarriedOver(
      store,
      async (key, session) => {
        await db
          .query('UPSERT $id CONTENT $content', { id: new RecordId(table, key), content: session })
          .collect()
      },
      async () => {
        await store.migrate()
        expect(await indexesOf(table)).toStrictEqual([`${table}_expires_at`, `${table}_owner`])
      }
    )
  })

  it('the first listing on a table migrated by the previous release defines the owner index, and reads through it', async () => {
    const table = await previousReleaseTable()
    const { queryable, readCost } = planReads(db)
    const store = new SurrealStore(queryable, { table })
    for (let i = 0; i < 50; i++) {
      await store.create(makeRecord(`k${i}`, i < 2 ? { owner: ada } : {}))
    }
    let keys: string[] = []
    const first = await readCost(async () => {
      keys = (await store.listOwner(ada)).map((record) => record.key).sort()
    })
    expect(keys).toStrictEqual(['k0', 'k1'])
    expect(first).toBe(2)
    expect(await indexesOf(table)).toStrictEqual([`${table}_expires_at`, `${table}_owner`])
  })
})

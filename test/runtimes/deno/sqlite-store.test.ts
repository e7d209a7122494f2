import { describe, expect, it } from 'vitest'
import { SqliteStore, type SqliteDatabase } from '../../../src/stores/sqlite-store.js'
import { RUN_MIGRATE, expectSetupStepNamed } from '../../helpers/before-migrate.js'
import { expectOutOfRangeRowsInvalid } from '../../helpers/out-of-range-rows.js'
import { describeStoreConformance, makeRecord } from '../../helpers/store-conformance.js'

// On Deno (npm run test:deno): SqliteStore over node:sqlite's DatabaseSync, no native addon.
// A module name in a variable: @types/node 20 does not declare node:sqlite.
const moduleName = 'node:sqlite'
const { DatabaseSync } = (await import(moduleName)) as {
  DatabaseSync: new (path: string) => SqliteDatabase & { close(): void }
}

describeStoreConformance(
  'SqliteStore over node:sqlite (Deno)',
  async () => {
    const db = new DatabaseSync(':memory:')
    const store = new SqliteStore(db)
    await store.migrate()
    return { store, cleanup: async () => db.close() }
  },
  { isolated: true }
)

describe('SqliteStore over node:sqlite', () => {
  it('a row holding an integer beyond 2^53 is invalid stored data; scan and migrateStore go on', async () => {
    const db = new DatabaseSync(':memory:')
    const store = new SqliteStore(db)
    await store.migrate()
    await expectOutOfRangeRowsInvalid(store, 'sessions', async (sql) => db.exec(sql))
  })

  it('before migrate, every call fails with CONFIG that says to run it; after it, it works', async () => {
    const store = new SqliteStore(new DatabaseSync(':memory:'))
    await expectSetupStepNamed(store, RUN_MIGRATE, () => store.migrate())
  })

  it('reads and writes a file database that a second connection sees', async () => {
    const path = `${await Deno.makeTempDir()}/sessions.db`
    const first = new SqliteStore(new DatabaseSync(path))
    await first.migrate()
    const record = makeRecord('shared')
    expect(await first.create(record)).toBe(true)
    expect(await new SqliteStore(new DatabaseSync(path)).load(record.key)).toStrictEqual(record)
  })
})

declare const Deno: { makeTempDir(): Promise<string> }

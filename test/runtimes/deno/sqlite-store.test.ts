import { describe, expect, it } from 'vitest'
import { SqliteStore, type SqliteDatabase } from '../../../src/stores/sqlite-store.js'
import { RUN_MIGRATE, expectSetupStepNamed } from '../../helpers/before-migrate.js'
import { expectOutOfRangeRowsInvalid } from '../../helpers/out-of-range-rows.js'
import { describeStoreConformance, makeRecord } from '../../helpers/store-conformance.js'
import { describePerUserConcurrency } from '../../helpers/per-user-concurrency-suite.js'
import type { SessionRecord } from '../../../src/core/store.js'
import { sqliteStoreWithHooks } from '../../helpers/sql-read-cost.js'
import { expectBoundRowsSweptInBatches } from '../../helpers/sql-owner-rows.js'
import {
  COLUMNS_BEFORE_OWNER,
  sqliteTableBeforeOwner,
  valuesBeforeOwner,
} from '../../helpers/tables-before-owner.js'
import {
  expectUpgradedKeepingSessions,
  writeSessionsBefore,
} from '../../helpers/owner-column-upgrade.js'

// On Deno (npm run test:deno): SqliteStore over node:sqlite's DatabaseSync, no native addon.
// A module name in a variable: @types/node 20 does not declare node:sqlite.
const moduleName = 'node:sqlite'
const { DatabaseSync } = (await import(moduleName)) as {
  DatabaseSync: new (path: string) => SqliteDatabase & { close(): void }
}

/** A migrated store on a new database, with the owner-index hooks. */
const storeWithHooks = () => sqliteStoreWithHooks(new DatabaseSync(':memory:'))

describePerUserConcurrency('SqliteStore over node:sqlite (Deno)', storeWithHooks)

describeStoreConformance('SqliteStore over node:sqlite (Deno)', storeWithHooks, { isolated: true })

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

    const db = new DatabaseSync(':memory:')
    for (const statement of sqliteTableBeforeOwner()) db.exec(statement)
    const old = new SqliteStore(db)
    await expectSetupStepNamed(old, RUN_MIGRATE, () => old.migrate(), { lacksTokenColumn: true })
  })

  it('migrate() upgrades a table of the previous release (without owner), keeping its sessions', async () => {
    const db = new DatabaseSync(':memory:')
    for (const statement of sqliteTableBeforeOwner()) db.exec(statement)
    const insert = db.prepare(
      `INSERT INTO "sessions" (${COLUMNS_BEFORE_OWNER}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
    )
    const writeAsBefore = async (record: SessionRecord) => insert.run(...valuesBeforeOwner(record))
    await writeSessionsBefore(writeAsBefore)
    await expectUpgradedKeepingSessions(new SqliteStore(db), writeAsBefore)
  })

  it('deleteExpired deletes bound rows 1000 per statement, and their owner index entries', async () => {
    const { store, cleanup, ...probe } = await storeWithHooks()
    await expectBoundRowsSweptInBatches(store, probe, 1000)
    await cleanup()
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

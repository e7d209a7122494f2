import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { D1Store } from '../../src/stores/cloudflare/index.js'
import { RUN_MIGRATE, expectSetupStepNamed } from '../helpers/before-migrate.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { expectOutOfRangeRowsInvalid } from '../helpers/out-of-range-rows.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { StatementLog, sqliteOwnerIndexHooks } from '../helpers/sql-read-cost.js'
import {
  expectBoundRowsSweptInBatches,
  expectReturningVisitorStatements,
  expectScanReturnsOwners,
} from '../helpers/sql-owner-rows.js'
import {
  COLUMNS_BEFORE_OWNER,
  sqliteTableBeforeOwner,
  valuesBeforeOwner,
} from '../helpers/tables-before-owner.js'
import {
  expectUpgradedKeepingSessions,
  writeSessionsBefore,
} from '../helpers/owner-column-upgrade.js'
import type { SessionRecord } from '../../src/core/store.js'
import { bindings, uniqueTableName } from '../helpers/workerd.js'
import type { D1DatabaseBinding } from '../../src/stores/cloudflare/index.js'

/** Runs a query on the local D1 database, for the hooks. */
const query = async (sql: string, params: readonly unknown[]) =>
  (
    await bindings.db
      .prepare(sql)
      .bind(...params)
      .all()
  ).results as Record<string, unknown>[]

/** The local D1 database, the statements bound on it recorded in `log`. */
function loggedD1(log: StatementLog): D1DatabaseBinding {
  return {
    prepare: (sql) => {
      const statement = bindings.db.prepare(sql)
      return {
        bind: (...values) => (log.sent(sql, values), statement.bind(...values)),
        first: () => statement.first(),
        run: () => statement.run(),
        all: () => statement.all(),
      }
    },
  }
}

/** A store on a new table, its statements logged, with the owner-index hooks. */
async function storeWithHooks() {
  const tableName = uniqueTableName('sessions')
  const log = new StatementLog()
  const store = new D1Store(loggedD1(log), { tableName })
  await store.migrate()
  return { store, log, ...sqliteOwnerIndexHooks(tableName, query, log) }
}

describePerUserConcurrency('D1Store (workerd, local D1)', storeWithHooks)

describeStoreConformance('D1Store (workerd, local D1)', storeWithHooks, { isolated: true })

describe('D1Store', () => {
  it('migrate is idempotent and creates the table with its expiry index', async () => {
    const tableName = uniqueTableName('migrated')
    const store = new D1Store(bindings.db, { tableName })
    await store.migrate()
    await store.migrate()
    const index = await bindings.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?")
      .bind(tableName)
      .all()
    expect(index.results).toContainEqual({ name: `${tableName}_expires_at` })
  })

  it('before migrate, every call fails with CONFIG that says to run it; after it, it works', async () => {
    const store = new D1Store(bindings.db, { tableName: uniqueTableName('missing') })
    await expectSetupStepNamed(store, RUN_MIGRATE, () => store.migrate())

    const tableName = uniqueTableName('lacking')
    for (const sql of sqliteTableBeforeOwner(tableName)) await bindings.db.prepare(sql).run()
    const old = new D1Store(bindings.db, { tableName })
    await expectSetupStepNamed(old, RUN_MIGRATE, () => old.migrate(), { lacksTokenColumn: true })
  })

  it('migrate upgrades a table of the previous release (without owner), keeping its sessions', async () => {
    const tableName = uniqueTableName('previous')
    for (const sql of sqliteTableBeforeOwner(tableName)) await bindings.db.prepare(sql).run()
    const insert = `INSERT INTO "${tableName}" (${COLUMNS_BEFORE_OWNER}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
    const writeAsBefore = (record: SessionRecord) =>
      bindings.db
        .prepare(insert)
        .bind(...valuesBeforeOwner(record))
        .run()
    await writeSessionsBefore(writeAsBefore)
    await expectUpgradedKeepingSessions(new D1Store(bindings.db, { tableName }), writeAsBefore)
    const { results } = await bindings.db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name"
      )
      .bind(tableName)
      .all()
    expect(results).toStrictEqual([
      { name: `${tableName}_expires_at` },
      { name: `${tableName}_owner` },
    ])
  })

  it('a row whose data is not JSON loads as INVALID_STORED_DATA, not an outage', async () => {
    const tableName = uniqueTableName('corrupt')
    const store = new D1Store(bindings.db, { tableName })
    await store.migrate()
    const record = makeRecord('corrupt')
    await store.create(record)
    await bindings.db.prepare(`UPDATE "${tableName}" SET data = '{oops'`).run()
    const error = await store.load(record.key).catch((e: unknown) => e)
    expect(isSessionError(error) && error.code).toBe('INVALID_STORED_DATA')
  })

  it('a row holding an integer beyond 2^53 is invalid stored data; scan and migrateStore go on', async () => {
    const tableName = uniqueTableName('huge')
    const store = new D1Store(bindings.db, { tableName })
    await store.migrate()
    await expectOutOfRangeRowsInvalid(store, tableName, (sql) => bindings.db.prepare(sql).run())
  })

  it('deleteExpired deletes bound rows 1000 per statement, and their owner index entries', async () => {
    const { store, ...probe } = await storeWithHooks()
    await expectBoundRowsSweptInBatches(store, probe, 1000)
  })

  it('scan returns each record with its owner', async () => {
    const { store } = await storeWithHooks()
    await expectScanReturnsOwners(store)
  })

  it('refuses a table name that is not a plain identifier, and a non-binding', () => {
    expect(() => new D1Store(bindings.db, { tableName: 'x; DROP TABLE y' })).toThrow(/identifier/)
    expect(() => new D1Store({} as never)).toThrow(/D1 database binding/)
  })
})

describeConcurrency('D1Store (workerd, local D1)', async () => {
  const store = new D1Store(bindings.db, { tableName: uniqueTableName('race') })
  await store.migrate()
  return { store }
})

describe('D1Store round trips', () => {
  it('serves a returning visitor, logged in or not, with two statements: one SELECT and one conditional UPDATE', async () => {
    const { store, log } = await storeWithHooks()
    await expectReturningVisitorStatements(store, log)
  })
})

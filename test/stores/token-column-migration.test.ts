import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { MySqlStore } from '../../src/stores/mysql-store.js'
import { PostgresStore } from '../../src/stores/postgres-store.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { mySqlForTests, postgresForTests, showCreateTable } from '../helpers/store-servers.js'
import {
  mySqlTableWithoutToken,
  postgresTableWithoutToken,
  sqliteTableWithoutToken,
} from '../helpers/tables-before-token.js'

// Tables as the version before the write token created them (its schemas/*.sql), each holding
// one session row written by that version.
const hour = () => Date.now() + 3_600_000

const postgres = await postgresForTests()
const mySql = await mySqlForTests()
afterAll(async () => {
  await postgres.close()
  await mySql.close()
})

/** What every store must do with an old table once `migrate()` ran (twice, to be sure). */
async function expectMigratedFromOldTable(store: {
  migrate(): Promise<void>
  load: SqliteStore['load']
  create: SqliteStore['create']
  save: SqliteStore['save']
}) {
  await store.migrate()
  await store.migrate()
  const old = await store.load('old')
  expect(old?.data).toStrictEqual({ count: 7 })
  expect(old !== undefined && 'token' in old).toBe(false)

  expect(await store.save({ ...old!, version: 1, token: 'after-upgrade' }, 0)).toBe(true)
  expect((await store.load('old'))?.token).toBe('after-upgrade')
  const fresh = makeRecord('new', { token: 'first' })
  expect(await store.create(fresh)).toBe(true)
  expect(await store.load('new')).toStrictEqual(fresh)
}

describe('migrate() adds the token column to a table of the previous version', () => {
  it('on SQLite, keeping its rows', async () => {
    const db = new Database(':memory:')
    db.exec(sqliteTableWithoutToken())
    db.prepare(`INSERT INTO sessions VALUES ('old', 1, ?, 0, 1, NULL, '{"count":7}')`).run(hour())
    await expectMigratedFromOldTable(new SqliteStore(db))
    const columns = db.pragma('table_info("sessions")') as { name: string }[]
    expect(columns.map((column) => column.name)).toContain('token')
    db.close()
  })

  it.skipIf(postgres.skipReason !== undefined)('on PostgreSQL, keeping its rows', async () => {
    const { pool, schemaName } = postgres
    const tableName = postgres.newTableName()
    const table = `"${schemaName}"."${tableName}"`
    await pool.query(postgresTableWithoutToken(table))
    await pool.query(`INSERT INTO ${table} VALUES ('old', '{"count":7}', 1, $1, 0, 1, NULL)`, [
      hour(),
    ])
    await expectMigratedFromOldTable(new PostgresStore(pool, { schemaName, tableName }))
    const { rows } = await pool.query(
      `SELECT data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = $2 AND column_name = 'token'`,
      [schemaName, tableName]
    )
    expect(rows).toStrictEqual([{ data_type: 'text', is_nullable: 'YES' }])
  })

  it.skipIf(mySql.skipReason !== undefined)(
    'on MySQL/MariaDB, keeping its rows, to the layout of a fresh table',
    async () => {
      const { pool } = mySql
      const tableName = mySql.newTableName()
      await pool.query(mySqlTableWithoutToken(tableName))
      await pool.query(
        `INSERT INTO \`${tableName}\` VALUES ('old', '{"count":7}', 1, ?, 0, 1, NULL)`,
        [hour()]
      )
      await expectMigratedFromOldTable(new MySqlStore(pool, { tableName }))

      const freshName = mySql.newTableName()
      await new MySqlStore(pool, { tableName: freshName }).migrate()
      const layout = (name: string) => showCreateTable(pool, name)
      expect(await layout(tableName)).toBe(await layout(freshName))
      expect(await layout(tableName)).toMatch(/`token` varchar\(255\)/)
    }
  )
})

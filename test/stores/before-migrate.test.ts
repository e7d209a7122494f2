import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createClient } from '@libsql/client'
import Database from 'better-sqlite3'
import { afterAll, describe, it } from 'vitest'
import { DynamoDbStore } from '../../src/stores/dynamodb-store.js'
import { LibsqlStore } from '../../src/stores/libsql-store.js'
import { MySqlStore } from '../../src/stores/mysql-store.js'
import { PostgresStore } from '../../src/stores/postgres-store.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import { SurrealStore } from '../../src/stores/surrealdb-store.js'
import { RUN_MIGRATE, expectSetupStepNamed } from '../helpers/before-migrate.js'
import { startDynalite } from '../helpers/dynalite.js'
import { mySqlForTests, postgresForTests } from '../helpers/store-servers.js'
import { embeddedSurreal, uniqueTable } from '../helpers/surrealdb.js'
import {
  mySqlTableWithoutToken,
  postgresTableWithoutToken,
  sqliteTableWithoutToken,
} from '../helpers/tables-before-token.js'
import {
  mySqlTableBeforeOwner,
  postgresTableBeforeOwner,
  sqliteTableBeforeOwner,
} from '../helpers/tables-before-owner.js'

// A store whose table was never created is a setup step not done: CONFIG, which says what to
// run, never STORE_UNAVAILABLE ("check that it is reachable"), which an app answers with a 503
// and a retry that can never succeed. So is a table of an earlier version that lacks a column.

const postgres = await postgresForTests()
const mySql = await mySqlForTests()
const surreal = await embeddedSurreal()
const dynamo = await startDynalite()
const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-before-migrate-'))
afterAll(async () => {
  await postgres.close()
  await mySql.close()
  await surreal.close()
  await dynamo.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('A store used before its table exists fails with CONFIG that says how to create it', () => {
  it('SqliteStore (better-sqlite3), without a table and with one that lacks the token or the owner column', async () => {
    const store = new SqliteStore(new Database(':memory:'))
    await expectSetupStepNamed(store, RUN_MIGRATE, () => store.migrate())

    for (const ddl of [[sqliteTableWithoutToken()], sqliteTableBeforeOwner()]) {
      const db = new Database(':memory:')
      for (const statement of ddl) db.exec(statement)
      const old = new SqliteStore(db)
      await expectSetupStepNamed(old, RUN_MIGRATE, () => old.migrate(), { lacksTokenColumn: true })
    }
  })

  it('LibsqlStore, without a table and with one that lacks the owner column', async () => {
    const client = createClient({ url: pathToFileURL(join(dir, 'libsql.db')).href })
    const store = new LibsqlStore(client)
    await expectSetupStepNamed(store, RUN_MIGRATE, () => store.migrate())

    for (const sql of sqliteTableBeforeOwner('old')) await client.execute(sql)
    const old = new LibsqlStore(client, { tableName: 'old' })
    await expectSetupStepNamed(old, RUN_MIGRATE, () => old.migrate(), { lacksTokenColumn: true })
    client.close()
  })

  it.skipIf(postgres.skipReason !== undefined)(
    'PostgresStore, without a table, without its schema, and with a table that lacks the token or the owner column',
    async () => {
      const { pool, schemaName } = postgres
      for (const preparedStatements of [true, false]) {
        const tableName = postgres.newTableName()
        const store = new PostgresStore(pool, { schemaName, tableName, preparedStatements })
        await expectSetupStepNamed(store, RUN_MIGRATE, () => store.migrate())
      }
      const noSchema = new PostgresStore(pool, { schemaName: `${schemaName}_absent` })
      await expectSetupStepNamed(noSchema, RUN_MIGRATE, () => noSchema.migrate())
      await pool.query(`DROP SCHEMA "${schemaName}_absent" CASCADE`)

      for (const ddl of [postgresTableWithoutToken, postgresTableBeforeOwner]) {
        const tableName = postgres.newTableName()
        await pool.query(ddl(`"${schemaName}"."${tableName}"`, `${tableName}_expires_at_idx`))
        const old = new PostgresStore(pool, { schemaName, tableName })
        await expectSetupStepNamed(old, RUN_MIGRATE, () => old.migrate(), {
          lacksTokenColumn: true,
        })
      }
    }
  )

  it.skipIf(mySql.skipReason !== undefined)(
    'MySqlStore, without a table and with one that lacks the token or the owner column',
    async () => {
      const { pool } = mySql
      const store = new MySqlStore(pool, { tableName: mySql.newTableName() })
      await expectSetupStepNamed(store, RUN_MIGRATE, () => store.migrate())

      for (const ddl of [mySqlTableWithoutToken, mySqlTableBeforeOwner]) {
        const tableName = mySql.newTableName()
        await pool.query(ddl(tableName))
        const old = new MySqlStore(pool, { tableName })
        await expectSetupStepNamed(old, RUN_MIGRATE, () => old.migrate(), {
          lacksTokenColumn: true,
        })
      }
    }
  )

  it('SurrealStore (embedded SurrealDB 3): the calls that cannot create the table', async () => {
    const store = new SurrealStore(surreal, { table: uniqueTable() })
    await expectSetupStepNamed(store, RUN_MIGRATE, () => store.migrate(), {
      writesCreateTheTable: true,
    })
  })

  it('DynamoDbStore (dynalite): createTable or the infrastructure', async () => {
    const store = new DynamoDbStore(dynamo.client(), { tableName: `absent-${crypto.randomUUID()}` })
    await expectSetupStepNamed(store, /createTable\(\)/, () =>
      store.createTable({ timeToLive: false })
    )
  })
})

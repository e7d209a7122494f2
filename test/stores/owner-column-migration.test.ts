import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createClient } from '@libsql/client'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import { LibsqlStore, type LibsqlClient } from '../../src/stores/libsql-store.js'
import { MySqlStore, type MySqlPool } from '../../src/stores/mysql-store.js'
import { PostgresStore } from '../../src/stores/postgres-store.js'
import { SqliteStore, type SqliteDatabase } from '../../src/stores/sqlite-store.js'
import { makeRecord } from '../helpers/store-conformance.js'
import type { SessionRecord } from '../../src/core/store.js'
import { mySqlForTests, postgresForTests, showCreateTable } from '../helpers/store-servers.js'
import {
  COLUMNS_BEFORE_OWNER,
  mySqlTableBeforeOwner,
  postgresTableBeforeOwner,
  sqliteTableBeforeOwner,
  valuesBeforeOwner,
} from '../helpers/tables-before-owner.js'
import {
  expectUpgradedKeepingSessions,
  writeSessionsBefore,
} from '../helpers/owner-column-upgrade.js'

// A table of the release before sessions per user, holding sessions that release wrote, is
// upgraded by `migrate()` to a fresh table's columns and indexes, and every session survives.

const postgres = await postgresForTests()
const mySql = await mySqlForTests()
const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-owner-migration-'))
afterAll(async () => {
  await postgres.close()
  await mySql.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A SQLite table's indexes, and its columns by name: a migrated one appends what it adds. */
function sqliteLayout(db: Database.Database, table: string) {
  const columns = (db.pragma(`table_info("${table}")`) as { name: string; cid: number }[])
    .map(({ cid: _, ...column }) => column)
    .sort((a, b) => a.name.localeCompare(b.name))
  const indexes = db
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name"
    )
    .all(table)
  return { columns, indexes }
}

describe('migrate() upgrades a table of the previous release, keeping its sessions', () => {
  it('on SQLite (better-sqlite3), to the indexes and columns of a fresh table', async () => {
    const db = new Database(':memory:')
    for (const statement of sqliteTableBeforeOwner('old')) db.exec(statement)
    const insert = db.prepare(
      `INSERT INTO "old" (${COLUMNS_BEFORE_OWNER}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
    )
    const writeAsBefore = async (record: SessionRecord) => insert.run(...valuesBeforeOwner(record))
    await writeSessionsBefore(writeAsBefore)

    await expectUpgradedKeepingSessions(new SqliteStore(db, { tableName: 'old' }), writeAsBefore)
    const fresh = new Database(':memory:')
    await new SqliteStore(fresh, { tableName: 'old' }).migrate()
    expect(sqliteLayout(db, 'old')).toStrictEqual(sqliteLayout(fresh, 'old'))
    db.close()
    fresh.close()
  })

  it('on libSQL', async () => {
    const client = createClient({ url: pathToFileURL(join(dir, 'libsql.db')).href })
    for (const sql of sqliteTableBeforeOwner()) await client.execute(sql)
    const writeAsBefore = (record: SessionRecord) =>
      client.execute({
        sql: `INSERT INTO "sessions" (${COLUMNS_BEFORE_OWNER}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        args: valuesBeforeOwner(record) as (string | number | null)[],
      })
    await writeSessionsBefore(writeAsBefore)
    await expectUpgradedKeepingSessions(new LibsqlStore(client), writeAsBefore)
    const { rows } = await client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    )
    expect(rows.map((row) => row['name'])).toStrictEqual(['sessions_expires_at', 'sessions_owner'])
    client.close()
  })

  it.skipIf(postgres.skipReason !== undefined)(
    'on PostgreSQL, to the columns and indexes of a fresh table',
    async () => {
      const { pool, schemaName } = postgres
      const tableName = postgres.newTableName()
      const table = `"${schemaName}"."${tableName}"`
      await pool.query(postgresTableBeforeOwner(table, `${tableName}_expires_at_idx`))
      const writeAsBefore = (record: SessionRecord) =>
        pool.query(
          `INSERT INTO ${table} (${COLUMNS_BEFORE_OWNER}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          valuesBeforeOwner(record)
        )
      await writeSessionsBefore(writeAsBefore)
      await expectUpgradedKeepingSessions(
        new PostgresStore(pool, { schemaName, tableName }),
        writeAsBefore
      )

      const freshName = postgres.newTableName()
      await new PostgresStore(pool, { schemaName, tableName: freshName }).migrate()
      const layout = async (name: string) => {
        const columns = await pool.query(
          `SELECT column_name, ordinal_position, data_type, is_nullable, collation_name
           FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
          [schemaName, name]
        )
        const indexes = await pool.query(
          `SELECT replace(indexname, $2, 'T') AS name, replace(indexdef, $2, 'T') AS def
           FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname`,
          [schemaName, name]
        )
        return { columns: columns.rows, indexes: indexes.rows }
      }
      expect(await layout(tableName)).toStrictEqual(await layout(freshName))
    }
  )

  it.skipIf(postgres.skipReason !== undefined)(
    'on PostgreSQL, keeping an owner index created beforehand with CREATE INDEX CONCURRENTLY',
    async () => {
      const { pool, schemaName } = postgres
      const tableName = postgres.newTableName()
      const table = `"${schemaName}"."${tableName}"`
      await pool.query(postgresTableBeforeOwner(table, `${tableName}_expires_at_idx`))
      // What schemas/postgres.sql says to run first on a large table.
      await pool.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS owner TEXT COLLATE "C" NULL`)
      await pool.query(
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS "${tableName}_owner_idx" ON ${table} (owner)
         WHERE owner IS NOT NULL`
      )
      const before = await pool.query(
        'SELECT indexrelid FROM pg_index WHERE indrelid = $1::regclass ORDER BY indexrelid',
        [table]
      )
      await new PostgresStore(pool, { schemaName, tableName }).migrate()
      const after = await pool.query(
        'SELECT indexrelid FROM pg_index WHERE indrelid = $1::regclass ORDER BY indexrelid',
        [table]
      )
      expect(after.rows).toStrictEqual(before.rows)
    }
  )

  it.skipIf(mySql.skipReason !== undefined)(
    'on MySQL/MariaDB, to the layout of a fresh table',
    async () => {
      const { pool } = mySql
      const tableName = mySql.newTableName()
      await pool.query(mySqlTableBeforeOwner(tableName))
      const columns = COLUMNS_BEFORE_OWNER.split(', ').map((column) => `\`${column}\``)
      const writeAsBefore = (record: SessionRecord) =>
        pool.execute(
          `INSERT INTO \`${tableName}\` (${columns.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          valuesBeforeOwner(record) as (string | number | null)[]
        )
      await writeSessionsBefore(writeAsBefore)
      await expectUpgradedKeepingSessions(new MySqlStore(pool, { tableName }), writeAsBefore)

      const freshName = mySql.newTableName()
      await new MySqlStore(pool, { tableName: freshName }).migrate()
      const layout = (name: string) => showCreateTable(pool, name)
      expect(await layout(tableName)).toBe(await layout(freshName))
      expect(await layout(tableName)).toMatch(/KEY `owner` \(`owner`\)/)
    }
  )

  // Another process may add a column between this one's check and its ALTER: each race below
  // is staged by answering the check with what the table was before the other one migrated.
  it('on SQLite, a migrate() that another process overtakes between its check and its ALTER succeeds', async () => {
    const file = join(dir, 'race.db')
    const setUp = new Database(file)
    for (const statement of sqliteTableBeforeOwner()) setUp.exec(statement)
    const other = new Database(file)
    const db = new Database(file)
    const overtaken: SqliteDatabase = {
      prepare: (source) => {
        const statement = db.prepare(source)
        if (!source.startsWith('PRAGMA table_info')) return statement
        return {
          run: (...params) => statement.run(...params),
          get: (...params) => statement.get(...params),
          all: (...params) => {
            const before = statement.all(...params)
            other.exec('ALTER TABLE "sessions" ADD COLUMN owner TEXT') // the other process
            return before
          },
        }
      },
      exec: (source) => db.exec(source),
    }
    const store = new SqliteStore(overtaken)
    await store.migrate()
    const owner = ownerKeyOf('ada')
    const record = makeRecord('k', { owner })
    expect(await store.create(record)).toBe(true)
    expect(await store.listOwner(owner)).toStrictEqual([record])
    for (const connection of [setUp, other, db]) connection.close()
  })

  it('on libSQL, a migrate() that another process overtakes between its check and its ALTER succeeds', async () => {
    const url = pathToFileURL(join(dir, 'race-libsql.db')).href
    const client = createClient({ url })
    for (const sql of sqliteTableBeforeOwner()) await client.execute(sql)
    const otherClient = createClient({ url })
    const other = new LibsqlStore(otherClient)
    const overtaken: LibsqlClient = {
      execute: async (statement) => {
        const result = await client.execute(statement)
        if (statement.sql.startsWith('PRAGMA table_info')) await other.migrate()
        return result
      },
    }
    const store = new LibsqlStore(overtaken)
    await store.migrate()
    const owner = ownerKeyOf('ada')
    const record = makeRecord('k', { owner })
    expect(await store.create(record)).toBe(true)
    expect(await store.listOwner(owner)).toStrictEqual([record])
    otherClient.close()
    client.close()
  })

  it.skipIf(mySql.skipReason !== undefined)(
    'on MySQL/MariaDB, a migrate() that another process overtakes between its check and its ALTERs succeeds',
    async () => {
      const { pool } = mySql
      const tableName = mySql.newTableName()
      await pool.query(mySqlTableBeforeOwner(tableName))
      const other = new MySqlStore(pool, { tableName })
      const overtaken: MySqlPool = {
        execute: (sql, values) => pool.execute(sql, values),
        query: async (sql, values) => {
          const result = await pool.query(sql, values)
          if (sql.includes('information_schema.columns')) await other.migrate()
          return result
        },
      }
      const store = new MySqlStore(overtaken, { tableName })
      await store.migrate()
      const owner = ownerKeyOf('ada')
      const record = makeRecord('k', { owner })
      expect(await store.create(record)).toBe(true)
      expect(await store.listOwner(owner)).toStrictEqual([record])
    }
  )
})

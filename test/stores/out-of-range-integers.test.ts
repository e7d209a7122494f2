import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createClient } from '@libsql/client'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { recordKeyOf } from '../../src/core/session-id.js'
import type { SessionStore } from '../../src/core/store.js'
import { LibsqlStore } from '../../src/stores/libsql-store.js'
import { MySqlStore } from '../../src/stores/mysql-store.js'
import { PostgresStore } from '../../src/stores/postgres-store.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import { CookieJar } from '../helpers/http.js'
import { expectOutOfRangeRowsInvalid } from '../helpers/out-of-range-rows.js'
import { counterApp } from '../helpers/store-apps.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { mySqlForTests, postgresForTests } from '../helpers/store-servers.js'
import { idOfCookie } from '../helpers/stores.js'

// An integer a column can hold but a JavaScript number cannot (beyond 2^53) is stored data that
// does not fit: the invalid-data policy for its session, skipped by scan and migrateStore. Never
// an outage of the session, or of every bulk read of the table.

const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-out-of-range-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('An integer beyond 2^53 in a SQLite-dialect row is invalid stored data', () => {
  it('on libSQL, whose client throws a RangeError for the whole result', async () => {
    const client = createClient({ url: pathToFileURL(join(dir, 'libsql.db')).href })
    const store = new LibsqlStore(client)
    await store.migrate()
    await expectOutOfRangeRowsInvalid(store, 'sessions', (sql) => client.execute(sql))
    client.close()
  })

  it('on SQLite over better-sqlite3, which would round it', async () => {
    const db = new Database(':memory:')
    const store = new SqliteStore(db)
    await store.migrate()
    await expectOutOfRangeRowsInvalid(store, 'sessions', async (sql) => db.exec(sql))
    db.close()
  })
})

const postgres = await postgresForTests()
const mySql = await mySqlForTests()
afterAll(async () => {
  await postgres.close()
  await mySql.close()
})

const stores: [string, string | undefined, () => Promise<SessionStore>][] = [
  [
    'PostgreSQL',
    postgres.skipReason,
    async () => {
      const { pool, schemaName } = postgres
      const store = new PostgresStore(pool, { schemaName, tableName: postgres.newTableName() })
      await store.migrate()
      return store
    },
  ],
  [
    'MySQL/MariaDB',
    mySql.skipReason,
    async () => {
      const store = new MySqlStore(mySql.pool, { tableName: mySql.newTableName() })
      await store.migrate()
      return store
    },
  ],
]

const LAST_INT = 2 ** 31 - 1

for (const [name, skipReason, newStore] of stores) {
  describe.skipIf(skipReason !== undefined)(`${name}: versions past the INTEGER column`, () => {
    it('a record at version 2^31 - 1 saves again: the column wraps to 0, and compare-and-set holds', async () => {
      const store = await newStore()
      const record = makeRecord('edge', { version: LAST_INT })
      expect(await store.save(record)).toBe(true)
      expect(await store.load('edge')).toStrictEqual(record)

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, writer) =>
          store.save({ ...record, data: { writer }, version: LAST_INT + 1 }, LAST_INT)
        )
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      expect(await store.load('edge')).toStrictEqual({
        ...record,
        data: { writer: winner },
        version: 0,
      })

      // The engine saves again from what it wrote (2^31) or from what it loads (0): both hold.
      expect(await store.save({ ...record, version: LAST_INT + 2 }, LAST_INT + 1)).toBe(true)
      expect(await store.save({ ...record, version: 1 }, 0)).toBe(false)
      expect(await store.save({ ...record, version: 2 }, 1)).toBe(true)
      expect((await store.load('edge'))?.version).toBe(2)
    })

    it('an upsert of a record at a version beyond 2^31 (copied from another store) is kept', async () => {
      const store = await newStore()
      const record = makeRecord('copied', { version: 2 ** 40 + 5 })
      expect(await store.save(record)).toBe(true)
      expect(await store.load('copied')).toStrictEqual({ ...record, version: 5 })
    })

    it('a session at version 2^31 - 1 goes on counting through the middleware, never a 5xx', async () => {
      const store = await newStore()
      const jar = new CookieJar(counterApp(store))
      expect(await jar.text('/count')).toBe('0')
      const key = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
      const stored = await store.load(key)
      await store.save({ ...stored!, version: LAST_INT })
      for (const expected of ['1', '2', '3']) {
        const response = await jar.fetch('/count')
        expect(response.status).toBe(200)
        expect(await response.text()).toBe(expected)
      }
      expect((await store.load(key))?.data).toStrictEqual({ counter: 4 })
    })
  })
}

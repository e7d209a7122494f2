import { afterAll, describe, expect, it } from 'vitest'
import type { SessionStore } from '../../src/core/store.js'
import { MySqlStore } from '../../src/stores/mysql-store.js'
import { PostgresStore } from '../../src/stores/postgres-store.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { mySqlForTests, postgresForTests } from '../helpers/store-servers.js'

// A pooled connection that dies (killed by an administrator, a failover) fails no request of
// its own: the store sends the statement once more, on a fresh connection. Only connections
// this file opened are killed, found by the table name only this file uses.

const postgres = await postgresForTests()
const mySql = await mySqlForTests()
afterAll(async () => {
  await postgres.close()
  await mySql.close()
})

/** Polls `find` every 20 ms until it returns a value; fails after 5 seconds. */
async function waitFor<T>(what: string, find: () => Promise<T | undefined>): Promise<T> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const found = await find()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`gave up waiting for ${what}`)
}

/** One operation of each kind, each on a record of its own: what it must answer after a kill. */
const operations: [string, (store: SessionStore) => Promise<unknown>, unknown][] = [
  ['load', (store) => store.load('loaded').then((record) => record?.data), { count: 1 }],
  ['compare-and-set save', (store) => store.save(makeRecord('saved', { version: 1 }), 0), true],
  ['create', (store) => store.create(makeRecord('created')), true],
  ['delete', (store) => store.delete('deleted'), undefined],
]

describe.skipIf(postgres.skipReason !== undefined)('PostgresStore with a killed connection', () => {
  const { schemaName } = postgres

  it.each(operations)(
    'a %s whose connection is terminated mid-statement succeeds on a fresh one',
    async (_, run, expected) => {
      const tableName = postgres.newTableName()
      const pool = postgres.openPool({ max: 2 })
      pool.on('error', () => {})
      const store = new PostgresStore(pool, { schemaName, tableName })
      await store.migrate()
      for (const key of ['loaded', 'saved', 'deleted']) await store.create(makeRecord(key))

      const admin = await postgres.pool.connect()
      try {
        // The statement waits for the table lock, so it is surely in flight when it is killed.
        await admin.query('BEGIN')
        await admin.query(`LOCK TABLE "${schemaName}"."${tableName}" IN ACCESS EXCLUSIVE MODE`)
        const pending = run(store)
        pending.catch(() => {}) // awaited below, once the lock is released
        const pid = await waitFor('the store statement to wait for the lock', async () => {
          const { rows } = await admin.query(
            `SELECT pid FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE $1`,
            [`%"${schemaName}"."${tableName}"%`]
          )
          return rows[0]?.pid as number | undefined
        })
        const { rows } = await admin.query('SELECT pg_terminate_backend($1) AS done', [pid])
        expect(rows[0].done).toBe(true)
        await admin.query('COMMIT')
        expect(await pending).toStrictEqual(expected)
      } finally {
        admin.release()
      }
    }
  )

  it("an idle connection terminated with pool.on('error') attached: no crash, the next load works", async () => {
    const pool = postgres.openPool({ max: 1 })
    const idleErrors: unknown[] = []
    pool.on('error', (error) => idleErrors.push(error))
    const store = new PostgresStore(pool, { schemaName, tableName: postgres.newTableName() })
    await store.migrate()
    const record = makeRecord('k')
    await store.create(record)
    const { rows } = await pool.query('SELECT pg_backend_pid() AS pid')

    await postgres.pool.query('SELECT pg_terminate_backend($1)', [rows[0].pid])
    await waitFor('the pool to report the idle connection', async () => idleErrors[0])
    expect((idleErrors[0] as { code?: string }).code).toBe('57P01')
    expect(await store.load('k')).toStrictEqual(record)
  })
})

describe.skipIf(mySql.skipReason !== undefined)('MySqlStore with a killed connection', () => {
  it.each(operations)(
    'a %s whose connection is killed mid-statement succeeds on a fresh one',
    async (_, run, expected) => {
      const tableName = mySql.newTableName()
      const store = new MySqlStore(mySql.openPool({ connectionLimit: 2 }), { tableName })
      await store.migrate()
      for (const key of ['loaded', 'saved', 'deleted']) await store.create(makeRecord(key))

      const admin = await mySql.openPool({ connectionLimit: 1 }).getConnection()
      try {
        // The statement waits for the table lock, so it is surely in flight when it is killed.
        await admin.query(`LOCK TABLES \`${tableName}\` WRITE`)
        const pending = run(store)
        pending.catch(() => {}) // awaited below, once the lock is released
        const id = await waitFor('the store statement to wait for the lock', async () => {
          const [rows] = await admin.query(
            `SELECT id FROM information_schema.processlist
             WHERE id <> CONNECTION_ID() AND state LIKE '%lock%' AND info LIKE ?`,
            [`%\`${tableName}\`%`]
          )
          return (rows as { id: number }[])[0]?.id
        })
        await admin.query(`KILL CONNECTION ${Number(id)}`)
        await admin.query('UNLOCK TABLES')
        expect(await pending).toStrictEqual(expected)
      } finally {
        admin.release()
      }
    }
  )

  it('an idle pooled connection killed by the server: the next load works', async () => {
    const pool = mySql.openPool({ connectionLimit: 1 })
    const store = new MySqlStore(pool, { tableName: mySql.newTableName() })
    await store.migrate()
    const record = makeRecord('k')
    await store.create(record)
    const [rows] = await pool.query('SELECT CONNECTION_ID() AS id')

    await mySql.pool.query(`KILL CONNECTION ${Number((rows as { id: number }[])[0]?.id)}`)
    expect(await store.load('k')).toStrictEqual(record)
  })
})

import mysql from 'mysql2/promise'
import { afterAll, describe, it } from 'vitest'
import { MySqlStore } from '../../src/stores/mysql-store.js'
import { faultApp } from '../helpers/fault-app.js'
import { expectToSurviveFaults, repeatedly } from '../helpers/fault-scenario.js'
import { services, skipReasonFor } from '../helpers/services.js'

// Issue 7 item 5: under a steady load, the connections of the store's pool are killed with
// MariaDB's `KILL CONNECTION`, again and again: busy ones mid-query, idle ones in the pool. Only
// this file's connections are killed: the pool reports the thread id of each connection it
// opens ('connection' event), and the killer kills those ids that are still open.

const run = crypto.randomUUID().replaceAll('-', '').slice(0, 12)
const tableName = `sessions_faults_${run}`

const admin = mysql.createPool({ uri: services.mysql, connectionLimit: 2 })
const skipReason = await skipReasonFor('MySQL/MariaDB', services.mysql, () =>
  admin.query('SELECT 1')
)

const closers: (() => Promise<unknown>)[] = []

afterAll(async () => {
  for (const close of closers.splice(0)) await close()
  if (skipReason === undefined) await admin.query(`DROP TABLE IF EXISTS \`${tableName}\``)
  await admin.end()
})

/** The pool an application would have; `threadIds` collects the id of each connection. */
function appPool(): { pool: mysql.Pool; threadIds: Set<number> } {
  const pool = mysql.createPool({ uri: services.mysql, connectionLimit: 10 })
  const threadIds = new Set<number>()
  pool.on('connection', (connection) => threadIds.add(connection.threadId))
  closers.push(() => pool.end())
  return { pool, threadIds }
}

/** Kills every connection of `threadIds` the server still has; resolves with how many. */
async function killOwnConnections(threadIds: Set<number>): Promise<number> {
  const [rows] = await admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST')
  const open = new Set((rows as { id: number }[]).map((row) => Number(row.id)))
  let killed = 0
  for (const id of threadIds) {
    if (!open.has(id)) {
      threadIds.delete(id)
      continue
    }
    try {
      await admin.query(`KILL CONNECTION ${Number(id)}`)
      killed++
    } catch {
      // ER_NO_SUCH_THREAD: it closed between the list and the kill
    }
  }
  return killed
}

const STORE_TIMEOUT = 2_000

describe.skipIf(skipReason !== undefined)('MariaDB connections killed under load', () => {
  it('failures are STORE_UNAVAILABLE in onError, no hang, no lost session, recovery', async () => {
    const { pool, threadIds } = appPool()
    const store = new MySqlStore(pool, { tableName })
    await store.migrate()
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    await expectToSurviveFaults({
      store,
      request: (path, init) => Promise.resolve(app.request(path, init)),
      errors,
      inject: () => repeatedly(250, 2_000, () => killOwnConnections(threadIds)),
      loadMs: 2_500,
      deadlineMs: STORE_TIMEOUT + 1_000,
    })
  })
})

import pg from 'pg'
import { afterAll, describe, it } from 'vitest'
import { PostgresStore } from '../../src/stores/postgres-store.js'
import { faultApp, serveOnLoopback } from '../helpers/fault-app.js'
import { expectToSurviveFaults, repeatedly } from '../helpers/fault-scenario.js'
import { services, skipReasonFor } from '../helpers/services.js'

// Issue 7 item 5: under a steady load, the backends of the store's pool are terminated with
// `pg_terminate_backend`, again and again: busy ones mid-query, idle ones in the pool. Only this
// file's backends are terminated: its pool sets an `application_name` of its own, and the
// terminating query filters `pg_stat_activity` by it.

const run = crypto.randomUUID().replaceAll('-', '').slice(0, 12)
const applicationName = `typed-sessions-faults-${run}`
const schemaName = `ts_faults_${run}`

const admin = new pg.Pool({ connectionString: services.postgres, max: 2 })
admin.on('error', () => {})
const skipReason = await skipReasonFor('PostgreSQL', services.postgres, () =>
  admin.query('SELECT 1')
)

const closers: (() => Promise<unknown>)[] = []

afterAll(async () => {
  for (const close of closers.splice(0)) await close()
  if (skipReason === undefined) await admin.query(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`)
  await admin.end()
})

/** The pool an application would have, named, with the error listener every pg app needs. */
function appPool(): pg.Pool {
  const pool = new pg.Pool({
    connectionString: services.postgres,
    application_name: applicationName,
    max: 10,
  })
  // Without it, an idle client whose backend is terminated emits 'error' on the pool with no
  // listener, and the process crashes (issue 7 item 6).
  pool.on('error', () => {})
  closers.push(() => pool.end())
  return pool
}

/** Terminates every backend of this file's pool; resolves with how many. */
async function terminateOwnBackends(): Promise<number> {
  const { rows } = await admin.query<{ terminated: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated
     FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
    [applicationName]
  )
  return rows[0]?.terminated ?? 0
}

const STORE_TIMEOUT = 2_000

describe.skipIf(skipReason !== undefined)('PostgreSQL backends terminated under load', () => {
  it('failures are STORE_UNAVAILABLE in onError, no hang, no lost session, recovery', async () => {
    const store = new PostgresStore(appPool(), { schemaName, tableName: 'sessions' })
    await store.migrate()
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    await expectToSurviveFaults({
      store,
      request: (path, init) => Promise.resolve(app.request(path, init)),
      errors,
      inject: () => repeatedly(250, 2_000, terminateOwnBackends),
      loadMs: 2_500,
      deadlineMs: STORE_TIMEOUT + 1_000,
    })
  })

  it('through a real HTTP server on loopback, without prepared statements', async () => {
    const store = new PostgresStore(appPool(), {
      schemaName,
      tableName: 'sessions_http',
      preparedStatements: false,
    })
    await store.migrate()
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    const server = await serveOnLoopback(app.fetch)
    closers.push(() => server.close())
    await expectToSurviveFaults({
      store,
      request: server.request,
      errors,
      inject: () => repeatedly(250, 2_000, terminateOwnBackends),
      loadMs: 2_500,
      deadlineMs: STORE_TIMEOUT + 1_000,
    })
  })
})

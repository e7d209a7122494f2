/**
 * The counter on PostgreSQL: sessions survive restarts and are shared by every process.
 * `npm run example:postgres` (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
 * then run `curl -c jar -b jar localhost:3000` a few times.
 */
import pg from 'pg'
import { startExpiredDeletion } from 'typed-sessions'
import { PostgresStore } from 'typed-sessions/postgres'
import { createCounterApp, serveIfMain } from './counter-app.js'

export const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
})
// Required: when an idle connection dies (server restart, failover, pg_terminate_backend), pg
// emits 'error' on the pool, and an 'error' event nobody listens to ends the process. The pool
// has already dropped that connection; the store retries a query whose connection died.
pool.on('error', (error) =>
  console.error('PostgreSQL: an idle connection was lost:', error.message)
)
export const store = new PostgresStore(pool)
// Creates "public"."sessions" if missing (or apply schemas/postgres.sql with your migrations).
await store.migrate()

export const app = createCounterApp(store)

if (serveIfMain(import.meta.url, app, 'Counter on PostgreSQL')) {
  // Expired rows are never loaded but stay in the table until deleted: sweep them every 15
  // minutes (from every process; concurrent sweeps skip each other's rows).
  startExpiredDeletion(store, { intervalMs: 15 * 60_000 })
}

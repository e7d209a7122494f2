import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { services, skipReasonFor } from './services.js'

/*
 * Connections to the shared database servers for store tests that need their own tables and a
 * raw driver next to the store (to write garbage, kill connections, read what was stored).
 * Everything a test file opens here lives under a random name and is removed by `close`.
 */

/** A short random suffix, so concurrent runs on the shared servers never meet. */
export function randomSuffix(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 12)
}

/** A PostgreSQL pool and a schema of this test file's own, dropped by `close`. */
export interface PostgresForTests {
  skipReason: string | undefined
  pool: pg.Pool
  schemaName: string
  /** A new table name in the schema (not yet created). */
  newTableName(): string
  /** Another pool, ended by `close`; `pool.on('error')` is left to the caller. */
  openPool(config?: pg.PoolConfig): pg.Pool
  close(): Promise<void>
}

/** Connects to the shared PostgreSQL, or says why its tests are skipped (failing in CI). */
export async function postgresForTests(): Promise<PostgresForTests> {
  const pools: pg.Pool[] = []
  const openPool = (config: pg.PoolConfig = {}) => {
    const pool = new pg.Pool({ connectionString: services.postgres, ...config })
    pools.push(pool)
    return pool
  }
  const pool = openPool()
  pool.on('error', () => {}) // an idle client dropped by the server must not crash the run
  const skipReason = await skipReasonFor('PostgreSQL', services.postgres, () =>
    pool.query('SELECT 1')
  )
  const schemaName = `ts_test_${randomSuffix()}`
  if (skipReason === undefined) await pool.query(`CREATE SCHEMA "${schemaName}"`)
  let tables = 0
  return {
    skipReason,
    pool,
    schemaName,
    newTableName: () => `t_${++tables}`,
    openPool,
    close: async () => {
      if (skipReason === undefined) await pool.query(`DROP SCHEMA "${schemaName}" CASCADE`)
      await Promise.all(pools.map((each) => each.end()))
    },
  }
}

/** A MySQL/MariaDB pool whose tables (named by `newTableName`) are dropped by `close`. */
export interface MySqlForTests {
  skipReason: string | undefined
  pool: mysql.Pool
  newTableName(): string
  /** Another pool, ended by `close`. */
  openPool(options?: mysql.PoolOptions): mysql.Pool
  close(): Promise<void>
}

/** Connects to the shared MySQL/MariaDB, or says why its tests are skipped (failing in CI). */
export async function mySqlForTests(): Promise<MySqlForTests> {
  const pools: mysql.Pool[] = []
  const openPool = (options: mysql.PoolOptions = {}) => {
    const pool = mysql.createPool({ uri: services.mysql, connectionLimit: 4, ...options })
    pools.push(pool)
    return pool
  }
  const pool = openPool()
  const skipReason = await skipReasonFor('MySQL/MariaDB', services.mysql, () =>
    pool.query('SELECT 1')
  )
  const base = `ts_test_${randomSuffix()}`
  const tables: string[] = []
  return {
    skipReason,
    pool,
    newTableName: () => {
      const name = `${base}_${tables.length + 1}`
      tables.push(name)
      return name
    },
    openPool,
    close: async () => {
      if (skipReason === undefined) {
        for (const table of tables) await pool.query(`DROP TABLE IF EXISTS \`${table}\``)
      }
      await Promise.all(pools.map((each) => each.end()))
    },
  }
}

/** The `SHOW CREATE TABLE` text of MySQL table `name`, the name replaced by `T`: its layout. */
export async function showCreateTable(pool: mysql.Pool, name: string): Promise<string> {
  const [rows] = await pool.query(`SHOW CREATE TABLE \`${name}\``)
  const text = (rows as Record<string, string>[])[0]?.['Create Table'] ?? ''
  return text.replaceAll(`\`${name}\``, '`T`')
}

/** A TCP port that was free a moment ago, in 20000-40000. */
async function sparePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer()
      probe.once('error', () => resolve(false))
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
    })
    if (free) return port
  }
}

/**
 * `undefined` when a `redis-server` binary can be started here, else why the tests that start
 * their own server are skipped (in CI they fail instead, as for a server that is down).
 */
export function ownRedisSkipReason(): Promise<string | undefined> {
  return skipReasonFor('redis-server (own instances)', 'redis-server on PATH', async () => {
    const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
    if (probe.error !== undefined) throw probe.error
    if (probe.status !== 0) throw new Error(`redis-server --version exited with ${probe.status}`)
  })
}

/** A `redis-server` of the test's own, which it may pause or reconfigure; `stop` ends it. */
export interface OwnRedisServer {
  url: string
  stop(): Promise<void>
}

/**
 * Starts a throwaway `redis-server` on a spare port (no persistence), for tests that would
 * disturb the shared one (`CLIENT PAUSE`), with extra `args` (e.g. `['--proto-max-bulk-len', '1mb']`). Rejects if it does not answer within 5 seconds.
 */
export async function startOwnRedisServer(args: string[] = []): Promise<OwnRedisServer> {
  const port = await sparePort()
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer)
      server.kill('SIGKILL')
      reject(error)
    }
    const timer = setTimeout(() => fail(new Error('redis-server did not start in 5 s')), 5000)
    server.once('error', fail)
    server.once('exit', (code) =>
      fail(new Error(`redis-server exited (${code}) before it was ready`))
    )
    server.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer)
        server.removeAllListeners('exit')
        resolve()
      }
    })
  })
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      server.kill('SIGTERM')
      await exited
    },
  }
}

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll } from 'vitest'
import { CachingStore, MemoryStore } from 'typed-sessions'
import { MySqlStore } from 'typed-sessions/mysql'
import { PostgresStore } from 'typed-sessions/postgres'
import { RedisStore } from 'typed-sessions/redis'
import { SqliteStore } from 'typed-sessions/sqlite'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { services, skipReasonFor } from '../helpers/services.js'

// DESIGN.md §8 on every built-in store with compare-and-set, each on its real server.
const run = crypto.randomUUID().replaceAll('-', '').slice(0, 12)

describeConcurrency('MemoryStore', () => ({ store: new MemoryStore() }))

const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-concurrency-'))
let files = 0
describeConcurrency('SqliteStore (a WAL file)', async () => {
  const db = new Database(join(dir, `race-${++files}.sqlite`))
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 10000')
  const store = new SqliteStore(db)
  await store.migrate()
  return { store, cleanup: async () => void db.close() }
})

const redis = new Redis(services.redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
const redisSkip = await skipReasonFor('Redis', services.redis, () => redis.connect())
const redisPrefix = `test:concurrency:${run}:`
describeConcurrency(
  'RedisStore',
  () => ({ store: new RedisStore(redis, { prefix: redisPrefix }) }),
  {
    skipReason: redisSkip,
  }
)
describeConcurrency(
  'CachingStore (MemoryStore over Redis)',
  () => ({
    store: new CachingStore(new MemoryStore(), new RedisStore(redis, { prefix: redisPrefix })),
  }),
  { skipReason: redisSkip }
)

const pgPool = new pg.Pool({ connectionString: services.postgres, max: 10 })
pgPool.on('error', () => {}) // an idle client dropped by the server must not crash the run
const pgSkip = await skipReasonFor('PostgreSQL', services.postgres, () => pgPool.query('SELECT 1'))
const pgTable = `race_${run}`
describeConcurrency(
  'PostgresStore',
  async () => {
    const store = new PostgresStore(pgPool, { tableName: pgTable })
    await store.migrate()
    return { store }
  },
  { skipReason: pgSkip }
)

const mysqlPool = mysql.createPool({ uri: services.mysql, connectionLimit: 10 })
const mysqlSkip = await skipReasonFor('MySQL/MariaDB', services.mysql, () =>
  mysqlPool.query('SELECT 1')
)
const mysqlTable = `race_${run}`
describeConcurrency(
  'MySqlStore',
  async () => {
    const store = new MySqlStore(mysqlPool, { tableName: mysqlTable })
    await store.migrate()
    return { store }
  },
  { skipReason: mysqlSkip }
)

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (redisSkip === undefined) {
    const keys = await redis.keys(`${redisPrefix}*`)
    if (keys.length > 0) await redis.unlink(...keys)
  }
  redis.disconnect()
  if (pgSkip === undefined) await pgPool.query(`DROP TABLE IF EXISTS "${pgTable}"`)
  await pgPool.end()
  if (mysqlSkip === undefined) await mysqlPool.query(`DROP TABLE IF EXISTS \`${mysqlTable}\``)
  await mysqlPool.end()
})

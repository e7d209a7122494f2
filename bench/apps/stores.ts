import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SessionStore } from 'typed-sessions'

/** A store the benchmark opened, and how to remove everything it left behind. */
export interface BenchStore {
  store: SessionStore
  /** Drops the bench table or deletes the bench keys, then closes the connections. */
  cleanUp: () => Promise<void>
}

/** The store's server cannot be reached: the variant is reported n/a, the run goes on. */
export class ServiceUnavailable extends Error {
  override name = 'ServiceUnavailable'
}

export type StoreKind = 'sqlite' | 'redis' | 'postgres' | 'mysql'

/** Where the networked stores' servers are, as the store tests find them. */
export const serviceUrls = {
  redis: () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  postgres: () => process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: () => process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/** A URL without its password, for messages and the report. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}

/** A suffix that keeps concurrent runs (and other users of the database) apart. */
function runId(): string {
  return `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}

async function reach<T>(service: string, url: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new ServiceUnavailable(`${service} unreachable at ${redact(url)}: ${reason}`)
  }
}

/** Opens the store of `kind`, with a table or key prefix of its own. */
export async function openStore(kind: StoreKind): Promise<BenchStore> {
  switch (kind) {
    case 'sqlite':
      return openSqlite()
    case 'redis':
      return openRedis()
    case 'postgres':
      return openPostgres()
    case 'mysql':
      return openMySql()
  }
}

/** better-sqlite3 on a file in a fresh temp folder, WAL, as the store's documentation sets it. */
async function openSqlite(): Promise<BenchStore> {
  const { default: Database } = await import('better-sqlite3')
  const { SqliteStore } = await import('typed-sessions/sqlite')
  const folder = mkdtempSync(join(tmpdir(), 'typed-sessions-bench-'))
  const db = new Database(join(folder, 'sessions.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  const store = new SqliteStore(db)
  await store.migrate()
  return {
    store,
    cleanUp: async () => {
      db.close()
      rmSync(folder, { recursive: true, force: true })
    },
  }
}

async function openRedis(): Promise<BenchStore> {
  const { Redis } = await import('ioredis')
  const { RedisStore } = await import('typed-sessions/redis')
  const url = serviceUrls.redis()
  let connected = false
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    // No retries before the first connection (so a missing server fails fast), some after.
    retryStrategy: (times) => (connected ? Math.min(times * 100, 1000) : null),
  })
  // Failed commands reject (the load errors column shows them); the event says why.
  let lastError: Error | undefined
  client.on('error', (error: Error) => (lastError = error))
  await reach('Redis', url, async () => {
    try {
      await client.connect()
      await client.ping()
    } catch (error) {
      client.disconnect()
      throw lastError ?? error
    }
  })
  connected = true
  const prefix = `bench:${runId()}:`
  return {
    store: new RedisStore(client, { prefix }),
    cleanUp: async () => {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== '0')
      client.disconnect()
    },
  }
}

async function openPostgres(): Promise<BenchStore> {
  const { default: pg } = await import('pg')
  const { PostgresStore } = await import('typed-sessions/postgres')
  const url = serviceUrls.postgres()
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 3000 })
  pool.on('error', () => {}) // an idle client's error; queries on a broken pool reject
  await reach('PostgreSQL', url, () => pool.query('SELECT 1'))
  const tableName = `bench_sessions_${runId()}`
  const store = new PostgresStore(pool, { tableName })
  try {
    await store.migrate()
  } catch (error) {
    await pool.end()
    throw error
  }
  return {
    store,
    cleanUp: async () => {
      await pool.query(`DROP TABLE IF EXISTS "${tableName}"`)
      await pool.end()
    },
  }
}

async function openMySql(): Promise<BenchStore> {
  const { default: mysql } = await import('mysql2/promise')
  const { MySqlStore } = await import('typed-sessions/mysql')
  const url = serviceUrls.mysql()
  const pool = mysql.createPool({ uri: url, connectTimeout: 3000 })
  await reach('MySQL/MariaDB', url, async () => {
    try {
      await pool.query('SELECT 1')
    } catch (error) {
      await pool.end()
      throw error
    }
  })
  const tableName = `bench_sessions_${runId()}`
  const store = new MySqlStore(pool, { tableName })
  try {
    await store.migrate()
  } catch (error) {
    await pool.end()
    throw error
  }
  return {
    store,
    cleanUp: async () => {
      await pool.query(`DROP TABLE IF EXISTS \`${tableName}\``)
      await pool.end()
    },
  }
}

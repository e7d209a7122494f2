import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionStore } from '../../src/core/store.js'
import { MySqlStore } from '../../src/stores/mysql-store.js'
import { PostgresStore } from '../../src/stores/postgres-store.js'
import { RedisStore } from '../../src/stores/redis-store.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import { services, skipReasonFor } from '../helpers/services.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { mySqlForTests, postgresForTests, randomSuffix } from '../helpers/store-servers.js'

// A record a store holds but cannot decode is stored data that does not fit: `load` throws
// INVALID_STORED_DATA (the engine applies onInvalid), `scan` skips it. Never STORE_UNAVAILABLE.

const postgres = await postgresForTests()
const mySql = await mySqlForTests()
const redis = new Redis(services.redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
const redisSkipReason = await skipReasonFor('Redis', services.redis, () => redis.connect())
const redisPrefix = `test:corrupt:${randomSuffix()}:`

afterAll(async () => {
  await postgres.close()
  await mySql.close()
  if (redisSkipReason === undefined) {
    const keys = await redis.keys(`${redisPrefix}*`)
    if (keys.length > 0) await redis.del(...keys)
  }
  redis.disconnect()
})

const hour = () => Date.now() + 3_600_000

/**
 * Each of `corruptKeys` fails to load with INVALID_STORED_DATA and a cause, while the good
 * record next to them loads, and a scan yields the good record only.
 */
async function expectCorruptRecordsHandled(store: SessionStore, corruptKeys: string[]) {
  const good = makeRecord('good', { token: 't' })
  expect(await store.create(good)).toBe(true)
  for (const key of corruptKeys) {
    const error = await store.load(key).then(
      () => new Error(`load(${key}) succeeded`),
      (e: unknown) => e
    )
    expect(isSessionError(error) && error.code, key).toBe('INVALID_STORED_DATA')
    expect((error as Error).cause, key).toBeDefined()
  }
  expect(await store.load('good')).toStrictEqual(good)
  const scanned: string[] = []
  for await (const record of store.scan!({ batchSize: 2 })) scanned.push(record.key)
  expect(scanned).toStrictEqual(['good'])
}

describe('A record the store cannot decode is invalid stored data, not an outage', () => {
  it('on SQLite: truncated JSON, data that is not an object, wrong field types', async () => {
    const db = new Database(':memory:')
    const store = new SqliteStore(db)
    await store.migrate()
    const insert = db.prepare(
      `INSERT INTO sessions (key, created_at, expires_at, version, schema_version, expiry, token, owner, data)
       VALUES (?, 1, ?, ?, 1, ?, ?, ?, ?)`
    )
    const owner = ownerKeyOf('ada')
    insert.run('a-truncated', hour(), 0, null, null, owner, '{"count":')
    insert.run('b-array', hour(), 0, null, null, null, '[1,2]')
    insert.run('c-null', hour(), 0, null, null, null, 'null')
    insert.run('d-version', hour(), 'abc', null, null, null, '{}')
    insert.run('e-expiry', hour(), 0, '{"kind":"never"}', null, null, '{}')
    insert.run('f-token', hour(), 0, null, Buffer.from('blob'), null, '{}')
    insert.run('g-owner', hour(), 0, null, null, Buffer.from(owner), '{}')
    await expectCorruptRecordsHandled(store, [
      'a-truncated',
      'b-array',
      'c-null',
      'd-version',
      'e-expiry',
      'f-token',
      'g-owner',
    ])
    // A listing skips it too, as a scan does: one bad row does not fail a user's every listing.
    const bound = makeRecord('bound', { owner })
    await store.create(bound)
    expect(await store.listOwner(owner)).toStrictEqual([bound])
    db.close()
  })

  it.skipIf(redisSkipReason !== undefined)(
    'on Redis: truncated JSON, a value that is not a record, wrong field types',
    async () => {
      const store = new RedisStore(redis, { prefix: redisPrefix })
      const valid = JSON.stringify({ version: 0, expiresAt: hour(), key: 'x', createdAt: 1 })
      await redis.set(`${redisPrefix}a-truncated`, valid.slice(0, 30))
      await redis.set(`${redisPrefix}b-string`, '"just a string"')
      await redis.set(
        `${redisPrefix}c-data-null`,
        JSON.stringify({ ...JSON.parse(valid), schemaVersion: 1, data: null })
      )
      await redis.set(
        `${redisPrefix}d-version`,
        JSON.stringify({ ...JSON.parse(valid), version: 'one', schemaVersion: 1, data: {} })
      )
      await redis.set(`${redisPrefix}e-not-json`, '\u0000\u0001binary')
      await expectCorruptRecordsHandled(store, [
        'a-truncated',
        'b-string',
        'c-data-null',
        'd-version',
        'e-not-json',
      ])
    }
  )

  it.skipIf(postgres.skipReason !== undefined)(
    'on PostgreSQL: data that is not a JSON object, a broken expiry',
    async () => {
      const { pool, schemaName } = postgres
      const tableName = postgres.newTableName()
      const store = new PostgresStore(pool, { schemaName, tableName })
      await store.migrate()
      const insert = (key: string, data: string, expiry: string | null) =>
        pool.query(
          `INSERT INTO "${schemaName}"."${tableName}" VALUES ($1, $2, 1, $3, 0, 1, $4, NULL, NULL)`,
          [key, data, hour(), expiry]
        )
      await insert('a-array', '[1]', null)
      await insert('b-null', 'null', null)
      await insert('c-string', '"s"', null)
      await insert('d-expiry', '{}', '{"kind":"atDate","at":"soon"}')
      await expectCorruptRecordsHandled(store, ['a-array', 'b-null', 'c-string', 'd-expiry'])
    }
  )

  it.skipIf(mySql.skipReason !== undefined)(
    'on MySQL/MariaDB: truncated JSON, data that is not an object, a broken expiry',
    async () => {
      const { pool } = mySql
      const tableName = mySql.newTableName()
      const store = new MySqlStore(pool, { tableName })
      await store.migrate()
      const insert = (key: string, data: string, expiry: string | null) =>
        pool.execute(`INSERT INTO \`${tableName}\` VALUES (?, ?, 1, ?, 0, 1, ?, NULL, NULL)`, [
          key,
          data,
          hour(),
          expiry,
        ])
      await insert('a-truncated', '{"count":1,"user":{"na', null)
      await insert('b-number', '42', null)
      await insert('c-expiry', '{}', 'not json')
      await expectCorruptRecordsHandled(store, ['a-truncated', 'b-number', 'c-expiry'])
    }
  )
})

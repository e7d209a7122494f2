import { describe, expect, it } from 'vitest'
import { MemoryStore, SessionError, type SessionStore } from 'typed-sessions'
import { DynamoDbStore } from 'typed-sessions/dynamodb'
import { MongoStore } from 'typed-sessions/mongodb'
import { MySqlStore } from 'typed-sessions/mysql'
import { PostgresStore } from 'typed-sessions/postgres'
import { RedisStore } from 'typed-sessions/redis'
import { SqliteStore } from 'typed-sessions/sqlite'
import { dbSystemOf, errorTypeOf } from '../../src/otel/attributes.js'

// The default db.system.name of a store and the error.type of a failure.

/** An object of `store`'s class, not constructed: its driver is not needed to name it. */
const of = (store: abstract new (...args: never[]) => SessionStore) =>
  Object.create(store.prototype) as SessionStore

describe('the db.system.name of a store', () => {
  it('is the conventions’ registered name for the bundled database stores', () => {
    expect(
      [PostgresStore, MySqlStore, SqliteStore, RedisStore, MongoStore, DynamoDbStore].map((store) =>
        dbSystemOf(of(store))
      )
    ).toEqual(['postgresql', 'mysql', 'sqlite', 'redis', 'mongodb', 'aws.dynamodb'])
    expect(dbSystemOf(new MemoryStore())).toBe('memory')
  })

  it('is that of the bundled store a class extends, else the class name, else other', () => {
    class TunedRedisStore extends RedisStore {}
    class AcmeStore extends MemoryStore {}
    class AcmeCloudStore implements SessionStore {
      create = () => Promise.resolve(true)
      load = () => Promise.resolve(undefined)
      save = () => Promise.resolve(true)
      delete = () => Promise.resolve()
    }
    expect(dbSystemOf(of(TunedRedisStore))).toBe('redis')
    expect(dbSystemOf(new AcmeStore())).toBe('memory')
    expect(dbSystemOf(new AcmeCloudStore())).toBe('acmecloud')
    const plain: SessionStore = {
      create: () => Promise.resolve(true),
      load: () => Promise.resolve(undefined),
      save: () => Promise.resolve(true),
      delete: () => Promise.resolve(),
    }
    expect(dbSystemOf(plain)).toBe('other')
  })
})

describe('the error.type of a failure', () => {
  it('is its code, else its name; a store outage’s is that of what failed', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(errorTypeOf(refused)).toBe('ECONNREFUSED')
    expect(errorTypeOf(new TypeError('bad'))).toBe('TypeError')
    expect(errorTypeOf(new SessionError('INVALID_VALUE', 'too big'))).toBe('INVALID_VALUE')
    const outage = new SessionError('STORE_UNAVAILABLE', 'down', { cause: refused })
    expect(errorTypeOf(outage)).toBe('ECONNREFUSED')
    expect(errorTypeOf('a string')).toBe('_OTHER')
  })
})

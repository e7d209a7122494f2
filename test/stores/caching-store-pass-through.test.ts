import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { CachingStore } from '../../src/stores/caching-store.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { TestStore } from '../helpers/stores.js'

// CachingStore over real stores: what they keep (the write token) and what they say about
// their records (INVALID_STORED_DATA, INVALID_VALUE) reaches the engine unchanged.

async function sqliteStore(db = new Database(':memory:')) {
  const store = new SqliteStore(db)
  await store.migrate()
  return { db, store }
}

// A SQLite cache, so that the token's round trip depends on CachingStore alone.
describeStoreConformance(
  'CachingStore(SqliteStore, SqliteStore)',
  async () => {
    const cache = await sqliteStore()
    const backing = await sqliteStore()
    return {
      store: new CachingStore(cache.store, backing.store),
      cleanup: async () => {
        cache.db.close()
        backing.db.close()
      },
    }
  },
  { isolated: true }
)

/** The rejection of `promise`, or a failure if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error
  )
}

describe('CachingStore passes its backing store answers through', () => {
  it('a record the backing store cannot decode is INVALID_STORED_DATA, and is not cached', async () => {
    const { db, store: backing } = await sqliteStore()
    const cache = new MemoryStore()
    const store = new CachingStore(cache, backing)
    db.prepare(
      `INSERT INTO sessions (key, created_at, expires_at, version, schema_version, data)
       VALUES ('broken', 1, ?, 0, 1, '{"trunc')`
    ).run(Date.now() + 60_000)

    const error = await rejectionOf(store.load('broken'))
    expect(isSessionError(error) && error.code).toBe('INVALID_STORED_DATA')
    expect(await cache.load('broken')).toBeUndefined()
    db.close()
  })

  it('a value the backing store refuses is INVALID_VALUE, and the cached copy is not kept', async () => {
    const { db, store: backing } = await sqliteStore()
    const cache = new MemoryStore()
    const store = new CachingStore(cache, backing)
    const record = makeRecord('k')
    await store.create(record)
    let deep: unknown = []
    for (let i = 0; i < 100_000; i++) deep = [deep]

    const error = await rejectionOf(
      store.save({ ...record, data: { deep } as never, version: 1 }, 0)
    )
    expect(isSessionError(error) && error.code).toBe('INVALID_VALUE')
    expect(await store.load('k')).toStrictEqual(record)
    db.close()
  })
})

describe('CachingStore and the owner index', () => {
  it('has listOwner exactly when the backing store has it, and lists what the backing store lists', async () => {
    expect(new CachingStore(new MemoryStore(), new TestStore()).listOwner).toBeUndefined()
    const backing = new MemoryStore()
    const store = new CachingStore(new MemoryStore(), backing)
    const ada = ownerKeyOf('ada')
    await store.create(makeRecord('a', { owner: ada }))
    await backing.create(makeRecord('b', { owner: ada })) // behind the cache
    const keys = async (list: Promise<{ key: string }[]>) => (await list).map((r) => r.key).sort()
    expect(await keys(store.listOwner!(ada))).toEqual(['a', 'b'])
    expect(await keys(store.listOwner!(ada))).toEqual(await keys(backing.listOwner(ada)))
  })

  it('keeps no owner index in the cache, and a cached copy still loads with its owner', async () => {
    const cache = new MemoryStore()
    const store = new CachingStore(cache, new MemoryStore())
    const record = makeRecord('a', { owner: ownerKeyOf('ada') })
    await store.create(record)
    expect(cache.size).toBe(1)
    expect(cache.owners).toBe(0)
    expect(await store.load('a')).toStrictEqual(record)
    await store.save({ ...record, owner: ownerKeyOf('bob'), version: 1 }, 0)
    expect(cache.owners).toBe(0)
    expect((await store.load('a'))?.owner).toBe(ownerKeyOf('bob'))
  })
})

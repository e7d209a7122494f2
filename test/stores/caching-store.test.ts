import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import { recordOfCacheEntry } from '../../src/stores/caching-entry.js'
import { CachingStore } from '../../src/stores/caching-store.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { memoryStoreUnderTest } from '../helpers/memory-read-cost.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { TestStore, deferred } from '../helpers/stores.js'
import type { StoreOperation } from '../helpers/stores.js'

const operations: StoreOperation[] = ['create', 'load', 'save', 'delete']

// The backing store holds the scan test's 10,000 live records plus expired ones.
describeStoreConformance(
  'CachingStore(MemoryStore, MemoryStore)',
  () => {
    const backing = memoryStoreUnderTest()
    return { ...backing, store: new CachingStore(new MemoryStore(), backing.store) }
  },
  {
    isolated: true,
    unreachable: () => {
      const down = new TestStore()
      for (const operation of operations) down.failOn(operation)
      return new CachingStore(new MemoryStore(), down)
    },
  }
)

/** A caching store over a counting backing store, with both parts at hand. */
function cachingOverTestStore(backing = new TestStore()) {
  const cache = new MemoryStore()
  return { cache, backing, store: new CachingStore(cache, backing) }
}

/** The record the cache holds for `key`, fresh or not (undefined when it holds none). */
async function cachedCopy(cache: SessionStore, key: string): Promise<SessionRecord | undefined> {
  const entry = await cache.load(key)
  return entry && recordOfCacheEntry(entry, 0, Number.POSITIVE_INFINITY)
}

/** The rejection of `promise`, or a failure if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error
  )
}

describe('CachingStore reads', () => {
  it('serves a second load from the cache without asking the backing store', async () => {
    const { backing, store } = cachingOverTestStore()
    const record = makeRecord('k')
    await backing.inner.create(record)

    expect(await store.load('k')).toStrictEqual(record)
    expect(await store.load('k')).toStrictEqual(record)
    expect(backing.calls.load).toBe(1)
  })

  it('serves a load after create or save from the cache', async () => {
    const { backing, store } = cachingOverTestStore()
    const record = makeRecord('k')
    await store.create(record)
    expect(await store.load('k')).toStrictEqual(record)
    const next = { ...record, data: { count: 2 }, version: 1 }
    await store.save(next, 0)
    expect(await store.load('k')).toStrictEqual(next)
    expect(backing.calls.load).toBe(0)
  })

  it('does not cache a miss: a record created behind the cache is found', async () => {
    const { backing, store } = cachingOverTestStore()
    expect(await store.load('k')).toBeUndefined()
    const record = makeRecord('k')
    await backing.inner.create(record)
    expect(await store.load('k')).toStrictEqual(record)
  })

  it('keeps a record cached until its expiresAt, even after another process deleted it', async () => {
    const { backing, store } = cachingOverTestStore()
    const record = makeRecord('k', { expiresAt: Date.now() + 200 })
    await store.create(record)
    await backing.inner.delete('k') // another instance, with its own cache, logged out

    expect(await store.load('k')).toStrictEqual(record) // the documented lag
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(await store.load('k')).toBeUndefined()
  })

  it('does not put back an older record read while a save of the same key settled', async () => {
    const backing = new TestStore()
    const read = deferred()
    const gate = deferred()
    // A backing store whose load reads the record, says so, and answers only at `gate`.
    const slow: SessionStore = {
      create: (record) => backing.create(record),
      save: (record, expectedVersion) => backing.save(record, expectedVersion),
      delete: (key) => backing.delete(key),
      load: async (key) => {
        const record = await backing.load(key)
        read.resolve()
        await gate.promise
        return record
      },
    }
    const cache = new MemoryStore()
    const store = new CachingStore(cache, slow)
    const record = makeRecord('k')
    await backing.inner.create(record)

    const staleLoad = store.load('k')
    await read.promise // it read version 0
    const next = { ...record, data: { count: 2 }, version: 1 }
    expect(await store.save(next, 0)).toBe(true)
    gate.resolve()

    expect(await staleLoad).toStrictEqual(record) // what it read, but not cached
    expect(await cachedCopy(cache, 'k')).toStrictEqual(next)
    expect(await store.load('k')).toStrictEqual(next)
  })
})

describe('CachingStore writes: the backing store decides', () => {
  it('returns false on a compare-and-set conflict even though its cache had the expected version', async () => {
    const backing = new TestStore()
    const a = cachingOverTestStore(backing)
    const b = cachingOverTestStore(backing)
    const record = makeRecord('k')
    await a.store.create(record) // a's cache: version 0
    expect(await b.store.load('k')).toStrictEqual(record)
    const fromB = { ...record, data: { writer: 'b' }, version: 1 }
    expect(await b.store.save(fromB, 0)).toBe(true)

    expect(await cachedCopy(a.cache, 'k')).toStrictEqual(record) // stale, and a does not know
    expect(await a.store.save({ ...record, data: { writer: 'a' }, version: 1 }, 0)).toBe(false)
    expect(await backing.inner.load('k')).toStrictEqual(fromB)
  })

  it('after a conflict, loads the backing store current record, not the stale cached one', async () => {
    const backing = new TestStore()
    const a = cachingOverTestStore(backing)
    const b = cachingOverTestStore(backing)
    const record = makeRecord('k')
    await a.store.create(record)
    const fromB = { ...record, data: { writer: 'b' }, version: 1 }
    await b.store.save(fromB, 0)

    await a.store.save({ ...record, data: { writer: 'a' }, version: 1 }, 0)
    expect(await a.cache.load('k')).toBeUndefined()
    expect(await a.store.load('k')).toStrictEqual(fromB)
    expect(await cachedCopy(a.cache, 'k')).toStrictEqual(fromB)
  })

  it('returns true when the backing store has the expected version although its cache is stale', async () => {
    const backing = new TestStore()
    const a = cachingOverTestStore(backing)
    const b = cachingOverTestStore(backing)
    const record = makeRecord('k')
    await a.store.create(record) // a's cache: version 0
    await b.store.save({ ...record, version: 1 }, 0)

    const next = { ...record, data: { writer: 'a' }, version: 2 }
    expect(await a.store.save(next, 1)).toBe(true)
    expect(await cachedCopy(a.cache, 'k')).toStrictEqual(next)
    expect(await backing.inner.load('k')).toStrictEqual(next)
  })

  it('answers a create colliding in the backing store with false, with an empty cache', async () => {
    const { backing, cache, store } = cachingOverTestStore()
    const first = makeRecord('k', { data: { who: 'first' } })
    await backing.inner.create(first)

    expect(await store.create(makeRecord('k', { data: { who: 'second' } }))).toBe(false)
    expect(await cache.load('k')).toBeUndefined()
    expect(await store.load('k')).toStrictEqual(first)
  })

  it('drops a stale cached copy when create collides', async () => {
    const { backing, cache, store } = cachingOverTestStore()
    const stale = makeRecord('k', { data: { who: 'stale' } })
    await cache.create(stale)
    const current = makeRecord('k', { data: { who: 'current' } })
    await backing.inner.create(current)

    expect(await store.create(makeRecord('k'))).toBe(false)
    expect(await cache.load('k')).toBeUndefined()
    expect(await store.load('k')).toStrictEqual(current)
  })

  it('passes the options of create (a record of cycleId) to the backing store and the cache', async () => {
    const told: unknown[] = []
    const memory = new MemoryStore()
    const backing: SessionStore = {
      create: (record, options) => (told.push(options), memory.create(record, options)),
      load: (key) => memory.load(key),
      save: (record, expectedVersion) => memory.save(record, expectedVersion),
      delete: (key) => memory.delete(key),
    }
    const cache = new MemoryStore({ maxSessions: 10 })
    const store = new CachingStore(cache, backing)

    await store.create(makeRecord('login'), { cycled: true })
    for (let i = 0; i < 100; i++) {
      await store.create(makeRecord(`flood${i}`))
      await store.load(`flood${i}`)
    }

    expect(told[0]).toStrictEqual({ cycled: true })
    expect(await cachedCopy(cache, 'login')).toBeDefined() // ranked as a login by the cache too
  })

  it('delete removes the record from both stores', async () => {
    const { backing, cache, store } = cachingOverTestStore()
    await store.create(makeRecord('k'))
    await store.delete('k')

    expect(await cache.load('k')).toBeUndefined()
    expect(await backing.inner.load('k')).toBeUndefined()
    expect(await store.load('k')).toBeUndefined()
  })
})

describe('CachingStore failures', () => {
  it('fails with STORE_UNAVAILABLE and the cause when the backing store fails, caching nothing', async () => {
    const { backing, cache, store } = cachingOverTestStore()
    const cause = new Error('backing store down')
    for (const operation of operations) backing.failOn(operation, cause)
    const record = makeRecord('k')

    for (const [operation, run] of [
      ['create', () => store.create(record)],
      ['load', () => store.load(record.key)],
      ['save', () => store.save(record)],
      ['delete', () => store.delete(record.key)],
    ] as const) {
      const error = await rejectionOf(run())
      expect(isSessionError(error) && error.code, operation).toBe('STORE_UNAVAILABLE')
      expect((error as Error).cause, operation).toBe(cause)
      expect(await cache.load(record.key), operation).toBeUndefined()
    }
  })

  it('drops the cached copy when the backing store fails a save, whose effect is unknown', async () => {
    const { backing, cache, store } = cachingOverTestStore()
    const record = makeRecord('k')
    await store.create(record)
    backing.failOn('save')

    const error = await rejectionOf(store.save({ ...record, version: 1 }, 0))
    expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
    expect(await cache.load('k')).toBeUndefined()
    backing.heal()
    expect(await store.load('k')).toStrictEqual(record)
  })
})

describe('CachingStore shape', () => {
  it('has deleteExpired and scan exactly when the backing store has them', async () => {
    const full = new CachingStore(new MemoryStore(), new MemoryStore())
    expect(typeof full.deleteExpired).toBe('function')
    expect(typeof full.scan).toBe('function')

    const bare = new CachingStore(new MemoryStore(), new TestStore())
    expect(typeof bare.deleteExpired).toBe('undefined')
    expect(typeof bare.scan).toBe('undefined')
    expect('deleteExpired' in bare).toBe(false)
  })

  it('deleteExpired returns the backing store count and empties the cache of expired records', async () => {
    const clock = { now: 1_000_000 }
    const cache = new MemoryStore({ now: () => clock.now })
    const backing = new MemoryStore({ now: () => clock.now })
    const store = new CachingStore(cache, backing)
    const at = (key: string, ttl: number): SessionRecord =>
      makeRecord(key, { createdAt: clock.now, expiresAt: clock.now + ttl })
    await store.create(at('short-1', 1_000))
    await store.create(at('short-2', 1_000))
    await store.create(at('long', 60_000))
    await backing.create(at('backing-only', 1_000))
    clock.now += 1_000

    expect(await store.deleteExpired?.()).toBe(3)
    expect(cache.size).toBe(1)
    expect(backing.size).toBe(1)
  })

  it("has the backing store's maxRecordSize, not the cache's", () => {
    const cache = new MemoryStore({ maxBytes: 4096 })
    expect(new CachingStore(cache, new MemoryStore()).maxRecordSize).toBe(1024 * 1024)
    expect(new CachingStore(cache, new TestStore()).maxRecordSize).toBeUndefined()
  })

  it('close closes both stores', async () => {
    const cache = new MemoryStore()
    const backing = new MemoryStore()
    const store = new CachingStore(cache, backing)
    await store.create(makeRecord('k'))
    await store.close()
    expect(cache.size).toBe(0)
    expect(backing.size).toBe(0)
  })

  it('rejects a missing store or the same store twice', () => {
    const memory = new MemoryStore()
    for (const make of [
      () => new CachingStore(memory, memory),
      () => new CachingStore(memory, undefined as unknown as SessionStore),
    ]) {
      let error: unknown
      try {
        make()
      } catch (caught) {
        error = caught
      }
      expect(isSessionError(error) && error.code).toBe('CONFIG')
    }
  })
})

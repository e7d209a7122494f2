import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createStorage, type Storage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import memoryDriver from 'unstorage/drivers/memory'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { storageKeyOf } from '../../src/stores/unstorage-keys.js'
import { UnstorageStore, type UnstorageStorage } from '../../src/stores/unstorage-store.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { backendCallsPerReturningRequest } from '../helpers/round-trips.js'
import { services, skipReasonFor } from '../helpers/services.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import type { StoreUnderTest } from '../helpers/store-conformance.js'

// unstorage's fs driver creates the item's directory on every write: the conformance scan of
// 10,000 records takes longer than the default 20 s on this shared machine.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 })

const root = mkdtempSync(join(tmpdir(), 'typed-sessions-unstorage-'))
// Every Redis key of this file run starts with `base`, so runs never meet; afterAll removes them.
const base = `test:unstorage-store:${crypto.randomUUID()}`
const redis = new Redis(services.redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
const redisSkipReason = await skipReasonFor('Redis', services.redis, () => redis.connect())

const opened: Storage[] = []
afterAll(async () => {
  for (const storage of opened) await storage.dispose()
  if (redisSkipReason === undefined) {
    const leftovers = await redis.keys(`${base}:*`)
    if (leftovers.length > 0) await redis.unlink(...leftovers)
  }
  redis.disconnect()
  rmSync(root, { recursive: true, force: true })
})

let storages = 0
const drivers: { name: string; skipReason?: string; storage: () => Storage }[] = [
  { name: 'memory', storage: () => createStorage({ driver: memoryDriver() }) },
  {
    name: 'fs',
    storage: () => createStorage({ driver: fsDriver({ base: join(root, `fs-${++storages}`) }) }),
  },
  {
    name: 'redis',
    ...(redisSkipReason === undefined ? {} : { skipReason: redisSkipReason }),
    storage: () =>
      createStorage({
        driver: redisDriver({ url: services.redis, base: `${base}:${++storages}` }),
      }),
  },
]

/** A store on a storage of its own: what every conformance test starts from. */
function storeOn(storage: () => Storage) {
  return (): StoreUnderTest & { storage: Storage; store: UnstorageStore } => {
    const own = storage()
    opened.push(own)
    const item = (key: string) => `app:session:${storageKeyOf(key)}`
    return {
      storage: own,
      store: new UnstorageStore(own, { prefix: 'app:session' }),
      copyStoredValue: async (from, to) => {
        await own.setItem(item(to), (await own.getItem(item(from))) as string)
      },
    }
  }
}

for (const driver of drivers) {
  // One store instance, as in one process: its per-session queue makes the conditional save
  // exact there, which is all this store claims (see bestEffortCompareAndSet below).
  describeConcurrency(
    `UnstorageStore (${driver.name} driver, one instance)`,
    storeOn(driver.storage),
    {
      skipReason: driver.skipReason,
    }
  )
  describeStoreConformance(`UnstorageStore (${driver.name} driver)`, storeOn(driver.storage), {
    ...(driver.skipReason === undefined ? {} : { skipReason: driver.skipReason }),
    isolated: true,
    bestEffortCompareAndSet:
      'unstorage has no conditional write; UnstorageStore serializes saves within one instance only',
    // The Redis driver pointed at a closed port, failing fast instead of queueing commands.
    unreachable: () => {
      const driver = redisDriver({
        url: 'redis://127.0.0.1:1',
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      })
      // The failed connect is also emitted as an event, which ioredis logs when unheard.
      ;(driver.getInstance?.() as Redis).on('error', () => {})
      return new UnstorageStore(createStorage({ driver }))
    },
  })
}

for (const driver of drivers) {
  describe.skipIf(driver.skipReason !== undefined)(`UnstorageStore on ${driver.name}`, () => {
    const setup = storeOn(driver.storage)

    it('of 50 concurrent conditional saves of one version through one instance, exactly one wins', async () => {
      const { store } = setup()
      const record = makeRecord('race')
      await store.create(record)
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, writer) =>
          store.save({ ...record, data: { writer }, version: 1 }, 0)
        )
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      expect((await store.load(record.key))?.data).toStrictEqual({ writer: results.indexOf(true) })
    })

    it('keeps each record as one tagged JSON item under the prefix, any record key', async () => {
      const { storage, store } = setup()
      const plain = makeRecord('Abc_-9')
      const other = makeRecord('with:colons/and?query 🔑')
      await store.create(plain)
      await store.create(other)
      const keys = (await storage.getKeys('app:session')).sort()
      expect(keys).toHaveLength(2)
      expect(keys).toContain('app:session:Abc_-9')
      expect(await storage.getItem('app:session:Abc_-9')).toMatch(/^ts1\{"key":"Abc_-9"/)
      expect(await store.load(other.key)).toStrictEqual(other)
      const scanned: string[] = []
      for await (const record of store.scan()) scanned.push(record.key)
      expect(scanned.sort()).toStrictEqual([plain.key, other.key].sort())
    })

    it('answers an item it did not write: load INVALID_STORED_DATA, scan skips it, create false', async () => {
      const { storage, store } = setup()
      await store.create(makeRecord('good'))
      await storage.setItem('app:session:bad', 'ts1{"truncated')
      await storage.setItem('app:session:foreign', { some: 'object' })
      for (const key of ['bad', 'foreign']) {
        const error = await store.load(key).catch((e: unknown) => e)
        expect(isSessionError(error) && error.code, key).toBe('INVALID_STORED_DATA')
      }
      const scanned: string[] = []
      for await (const record of store.scan()) scanned.push(record.key)
      expect(scanned).toStrictEqual(['good'])
      expect(await store.create(makeRecord('bad'))).toBe(false)
    })

    it('serves a returning visitor with one getItem to load and a getItem + setItem to save', async () => {
      const { storage } = setup()
      const calls: string[] = []
      const counting: UnstorageStorage = {
        getItem: (key) => (calls.push('getItem'), storage.getItem(key)),
        setItem: (key, value, options) => (
          calls.push('setItem'),
          storage.setItem(key, value, options)
        ),
        removeItem: (key) => (calls.push('removeItem'), storage.removeItem(key)),
        getKeys: (prefix) => (calls.push('getKeys'), storage.getKeys(prefix)),
      }
      const { perRequest, counter } = await backendCallsPerReturningRequest(
        new UnstorageStore(counting),
        () => calls.length
      )
      expect(counter).toBe('11')
      expect(perRequest).toBe(3)
      expect(calls.slice(-3)).toStrictEqual(['getItem', 'getItem', 'setItem'])
    })
  })
}

describe.skipIf(redisSkipReason !== undefined)('UnstorageStore on Redis: native TTL', () => {
  it('writes each item with a Redis TTL that ends at expiresAt, moved on every save', async () => {
    const prefix = `${base}:ttl`
    const storage = createStorage({ driver: redisDriver({ url: services.redis, base: prefix }) })
    opened.push(storage)
    const store = new UnstorageStore(storage, { prefix: 'session' })
    const record = makeRecord('ttl', { expiresAt: Date.now() + 60_000 })
    await store.create(record)
    const ttl = await redis.ttl(`${prefix}:session:ttl`)
    expect(ttl).toBeGreaterThan(58)
    expect(ttl).toBeLessThanOrEqual(60)
    await store.save({ ...record, expiresAt: Date.now() + 120_000, version: 1 }, 0)
    expect(await redis.ttl(`${prefix}:session:ttl`)).toBeGreaterThan(118)
  })
})

describe('UnstorageStore options', () => {
  it('rejects a non-storage and a prefix unstorage would rewrite with CONFIG', () => {
    const storage = createStorage({ driver: memoryDriver() })
    for (const prefix of ['', 'a/b', 'a?b', 'trailing:', ':leading', 'a::b', 'dot.segment']) {
      expect(() => new UnstorageStore(storage, { prefix }), prefix).toThrow(
        expect.objectContaining({ name: 'SessionError', code: 'CONFIG' })
      )
    }
    expect(() => new UnstorageStore({} as UnstorageStorage)).toThrow(
      expect.objectContaining({ code: 'CONFIG' })
    )
    expect(new UnstorageStore(storage).prefix).toBe('session')
  })
})

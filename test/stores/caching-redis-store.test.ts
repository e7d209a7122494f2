import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import type { SessionStore } from '../../src/core/store.js'
import { CachingStore } from '../../src/stores/caching-store.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { RedisStore } from '../../src/stores/redis-store.js'
import { recordKeyOf } from '../../src/core/session-id.js'
import { counterSession } from '../../schemas/counter.js'
import { CookieJar, sessionApp } from '../helpers/http.js'
import { idOfCookie } from '../helpers/stores.js'
import { holdingLoads } from '../helpers/held-loads.js'
import { connectTestRedis } from '../helpers/redis.js'
import { sqliteFiles } from '../helpers/sqlite-files.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

// The README's setup: a MemoryStore cache in front of a networked store, here the shared Redis.
// And a shared cache: one Redis in front of a database, for every instance.
const redis = await connectTestRedis('caching-redis-store')
const sqlite = sqliteFiles()
afterAll(async () => {
  await redis.close()
  sqlite.remove()
})

let setups = 0
/** A fresh cache over the shared Redis, under its own prefix. */
const cachingOverRedis = (prefix = `${redis.prefix}${setups++}:`) =>
  new CachingStore(new MemoryStore(), new RedisStore(redis.client, { prefix }))

describeStoreConformance(
  'CachingStore(MemoryStore, RedisStore)',
  () => ({ store: cachingOverRedis() }),
  {
    skipReason: redis.skipReason,
    unreachable: () => {
      const down = new Redis('redis://127.0.0.1:1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      })
      down.on('error', () => {})
      return new CachingStore(new MemoryStore(), new RedisStore(down))
    },
  }
)

describe.skipIf(redis.skipReason !== undefined)(
  'CachingStore over Redis, two app instances',
  () => {
    it("refuses a save made from one instance's stale cache, and then reads the other's write", async () => {
      const prefix = `${redis.prefix}instances:`
      const first = cachingOverRedis(prefix)
      const second = cachingOverRedis(prefix)
      await first.create(makeRecord('k', { data: { n: 1 } }))
      expect(await first.load('k')).toMatchObject({ version: 0 }) // now cached by the first
      expect(
        await second.save({ ...(await second.load('k'))!, data: { n: 2 }, version: 1 }, 0)
      ).toBe(true)

      // The first instance still holds version 0, but Redis decides: a conflict, not a lost write.
      expect(await first.save({ ...makeRecord('k'), data: { n: 99 }, version: 1 }, 0)).toBe(false)
      expect(await first.load('k')).toMatchObject({ version: 1, data: { n: 2 } })
    })

    it('loses no increment when a visitor alternates between two instances with their own caches', async () => {
      const prefix = `${redis.prefix}counter:`
      const instances = [cachingOverRedis(prefix), cachingOverRedis(prefix)].map((store) => {
        const app = sessionApp(counterSession, { store })
        app.get('/', async (c) =>
          c.text(String(await c.var.session.update('counter', (n) => n + 1)))
        )
        return app
      })
      // One cookie jar, handed from one instance to the other, as a load balancer would.
      const jar = new CookieJar({
        request: (path, init) => instances[turn++ % 2]!.request(path, init),
      })
      let turn = 0
      for (let i = 0; i < 6; i++) await jar.fetch('/')

      const key = `${prefix}${recordKeyOf(idOfCookie(jar.cookies.get('id')!))}`
      const stored = JSON.parse((await redis.client.get(key)) ?? 'null') as { data: unknown }
      expect(stored.data).toEqual({ counter: 6 })
    })
  }
)

describe.skipIf(redis.skipReason !== undefined)(
  'CachingStore with one Redis cache shared by two instances, over SQLite',
  () => {
    /** Two instances sharing one Redis cache over one SQLite file; `wrap` goes before B's. */
    async function sharedCache(wrap: (store: SessionStore) => SessionStore = (store) => store) {
      const clock = { now: Date.now() }
      const now = () => clock.now
      const cache = new RedisStore(redis.client, { prefix: `${redis.prefix}shared${setups++}:` })
      const file = sqlite.newFile()
      const first = await sqlite.migratedStore({}, sqlite.openDatabase(file))
      const second = await sqlite.migratedStore({}, sqlite.openDatabase(file))
      const a = new CachingStore(cache, first.store, { now })
      const b = new CachingStore(cache, wrap(second.store), { now })
      return { clock, a, b, database: first.store }
    }

    it('sees a write or a logout through one instance on the other at once', async () => {
      const { a, b } = await sharedCache()
      const record = makeRecord('k')
      await a.create(record)
      expect(await b.load('k')).toStrictEqual(record)
      const next = { ...record, data: { count: 2 }, version: 1 }
      expect(await a.save(next, 0)).toBe(true)
      expect(await b.load('k')).toStrictEqual(next)

      await a.delete('k')
      expect(await b.load('k')).toBeUndefined()
    })

    it('serves the copy of a read that raced a logout for at most maxStalenessMs', async () => {
      let held!: ReturnType<typeof holdingLoads>
      const { clock, a, b, database } = await sharedCache(
        (store) => (held = holdingLoads(store)).store
      )
      const record = makeRecord('k')
      await database.create(record) // not cached yet: b's load goes to the database
      const load = held.holdNext()
      const staleLoad = b.load('k')
      await load.read // b has read the record, not yet answered
      await a.delete('k') // the logout: database and shared cache
      load.release()
      expect(await staleLoad).toStrictEqual(record)

      // b's answer filled the shared cache after the logout: both instances serve it, for a while.
      expect(await a.load('k')).toStrictEqual(record)
      clock.now += 5_000
      expect(await a.load('k')).toBeUndefined()
      expect(await b.load('k')).toBeUndefined()
    })
  }
)

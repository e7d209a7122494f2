import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionRecord } from '../../src/core/store.js'
import { RedisStore, type RedisStoreClient } from '../../src/stores/redis-store.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { redisOwnerIndexEntries } from '../helpers/redis-owner-index.js'
import { services, skipReasonFor } from '../helpers/services.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

// Every key of this file run starts with `base`, so concurrent runs never meet, and afterAll
// removes whatever a failed test left behind.
const base = `test:redis-store:${crypto.randomUUID()}:`

const ioredis = new Redis(services.redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
const nodeRedis = createClient({ url: services.redis, socket: { reconnectStrategy: false } })
// A failed connect rejects `connect()` below; the event would otherwise crash the run.
nodeRedis.on('error', () => {})

const skipReason = await skipReasonFor('Redis', services.redis, async () => {
  await ioredis.connect()
  await nodeRedis.connect()
})

/** Clients pointed at a closed port, closed after the file. */
const unreachableClients: { close(): unknown }[] = []

/** Deletes every key starting with `prefix`, which must hold no glob characters. */
async function deleteKeysStartingWith(prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await ioredis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await ioredis.unlink(...keys)
  } while (cursor !== '0')
}

afterAll(async () => {
  if (skipReason === undefined) await deleteKeysStartingWith(base)
  ioredis.disconnect()
  if (nodeRedis.isOpen) await nodeRedis.close()
  for (const client of unreachableClients) await client.close()
})

const drivers: {
  name: string
  client: RedisStoreClient
  unreachable: () => Promise<RedisStore>
}[] = [
  {
    name: 'ioredis',
    client: ioredis,
    unreachable: async () => {
      const client = new Redis('redis://127.0.0.1:1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      })
      client.on('error', () => {})
      unreachableClients.push({ close: () => client.disconnect() })
      return new RedisStore(client)
    },
  },
  {
    name: 'node-redis',
    client: nodeRedis,
    unreachable: async () => {
      const client = createClient({
        url: 'redis://127.0.0.1:1',
        socket: { reconnectStrategy: false },
      })
      client.on('error', () => {})
      await client.connect().catch(() => undefined)
      unreachableClients.push({ close: () => (client.isOpen ? client.close() : undefined) })
      return new RedisStore(client)
    },
  },
]

let setups = 0

for (const driver of drivers) {
  describeStoreConformance(
    `RedisStore (${driver.name})`,
    () => {
      // The glob characters check that scan escapes the prefix: unescaped, `[x]` and `\:` would
      // match other text than themselves, and scan would miss every record.
      const own = `${base}${driver.name}:${setups++}:`
      const store = new RedisStore(driver.client, { prefix: `${own}glob*?[x]\\:` })
      return {
        store,
        cleanup: () => deleteKeysStartingWith(own),
        // COPY keeps the value and its TTL, as a restore or a RENAME would.
        copyStoredValue: async (from: string, to: string) => {
          await ioredis.call('COPY', store.prefix + from, store.prefix + to)
        },
        // How much a listing reads is measured on a server of its own (redis-owner-index.test.ts).
        ownerIndexEntries: redisOwnerIndexEntries(ioredis, () => store.prefix),
      }
    },
    // Spread: the suite's `skipReason?: string` takes no explicit `undefined` (exactOptionalPropertyTypes).
    { ...(skipReason === undefined ? {} : { skipReason }), unreachable: driver.unreachable }
  )
}

// DESIGN.md §12 under races: login racing logout, revocations racing writes and cycleId, 20
// concurrent logins of one user with a limit.
for (const driver of drivers) {
  describePerUserConcurrency(
    `RedisStore (${driver.name})`,
    () => {
      const own = `${base}${driver.name}:per-user:${setups++}:`
      return {
        store: new RedisStore(driver.client, { prefix: own }),
        cleanup: () => deleteKeysStartingWith(own),
      }
    },
    { skipReason }
  )
}

/** The key's remaining time to live, in milliseconds. */
const pttl = (key: string) => ioredis.pttl(key)

async function scanKeys(store: RedisStore): Promise<string[]> {
  const keys: string[] = []
  for await (const record of store.scan({ batchSize: 50 })) keys.push(record.key)
  return keys.sort()
}

for (const driver of drivers) {
  describe.skipIf(skipReason !== undefined)(`RedisStore on ${driver.name}`, () => {
    const prefix = `${base}${driver.name}:extra:`
    const store = new RedisStore(driver.client, { prefix })
    const hourFromNow = () => Date.now() + 3_600_000

    it('keeps each record as JSON in one string key named prefix + key', async () => {
      const record = makeRecord('layout', { expiry: { kind: 'onSessionEnd', ttl: 60 } })
      await store.create(record)
      expect(await ioredis.type(`${prefix}layout`)).toBe('string')
      const stored = JSON.parse((await ioredis.get(`${prefix}layout`)) ?? 'null') as SessionRecord
      expect(stored).toStrictEqual(record)
      expect(store.prefix).toBe(prefix)
    })

    it('sets a native TTL that ends at expiresAt', async () => {
      const record = makeRecord('ttl', { expiresAt: Date.now() + 60_000 })
      await store.create(record)
      const ttl = await pttl(`${prefix}ttl`)
      expect(ttl).toBeGreaterThan(58_000)
      expect(ttl).toBeLessThanOrEqual(60_000)
    })

    it('moves the TTL to the new expiresAt on every save', async () => {
      const record = makeRecord('ttl-moves', { expiresAt: Date.now() + 60_000 })
      await store.create(record)

      const later = { ...record, expiresAt: Date.now() + 120_000, version: 1 }
      expect(await store.save(later, 0)).toBe(true)
      expect(await pttl(`${prefix}ttl-moves`)).toBeGreaterThan(118_000)

      expect(await store.save({ ...later, expiresAt: Date.now() + 30_000 })).toBe(true)
      const ttl = await pttl(`${prefix}ttl-moves`)
      expect(ttl).toBeGreaterThan(28_000)
      expect(ttl).toBeLessThanOrEqual(30_000)
    })

    it('stores nothing for a record that is already expired', async () => {
      const record = makeRecord('already-expired', { expiresAt: Date.now() - 1000 })
      expect(await store.create(record)).toBe(true)
      expect(await ioredis.exists(`${prefix}already-expired`)).toBe(0)
      expect(await store.save(record)).toBe(true)
      expect(await ioredis.exists(`${prefix}already-expired`)).toBe(0)
    })

    it('compare-and-set still works after the server lost its scripts (NOSCRIPT, then EVAL)', async () => {
      const record = makeRecord('noscript')
      await store.create(record)
      await ioredis.script('FLUSH')
      expect(await store.save({ ...record, version: 1 }, 0)).toBe(true)
      expect(await store.save({ ...record, version: 2 }, 1)).toBe(true)
      expect(await store.save({ ...record, version: 2 }, 1)).toBe(false)
      expect((await store.load(record.key))?.version).toBe(2)
    })

    it('scans only its own prefix when the prefix holds glob characters', async () => {
      const star = new RedisStore(driver.client, { prefix: `${base}${driver.name}:glob:a*:` })
      const plain = new RedisStore(driver.client, { prefix: `${base}${driver.name}:glob:ab:` })
      const question = new RedisStore(driver.client, { prefix: `${base}${driver.name}:glob:a?:` })
      const record = { expiresAt: hourFromNow() }
      await star.create(makeRecord('star', record))
      await plain.create(makeRecord('plain', record))
      await question.create(makeRecord('question', record))

      expect(await scanKeys(star)).toStrictEqual(['star'])
      expect(await scanKeys(plain)).toStrictEqual(['plain'])
      expect(await scanKeys(question)).toStrictEqual(['question'])
    })

    it('rejects an empty prefix, a scan batchSize below 1, and a client of neither driver', async () => {
      const isConfig = (error: unknown) => isSessionError(error) && error.code === 'CONFIG'
      expect(() => new RedisStore(driver.client, { prefix: '' })).toThrow(
        expect.toSatisfy(isConfig)
      )
      expect(() => new RedisStore({} as RedisStoreClient)).toThrow(expect.toSatisfy(isConfig))
      await expect(async () => {
        for await (const _ of store.scan({ batchSize: 0 })) void _
      }).rejects.toSatisfy(isConfig)
    })
  })
}

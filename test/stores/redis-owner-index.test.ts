import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord } from '../../src/core/store.js'
import { RedisStore } from '../../src/stores/redis-store.js'
import { describeOwnerIndexCases } from '../helpers/owner-index-conformance.js'
import { connectTestRedis } from '../helpers/redis.js'
import {
  countingClient,
  ownerIndexKeys,
  redisOwnerIndexEntries,
  redisReadCost,
} from '../helpers/redis-owner-index.js'
import { backendCallsPerReturningRequest } from '../helpers/round-trips.js'
import { makeRecord } from '../helpers/store-conformance.js'
import {
  ownRedisSkipReason,
  startOwnRedisServer,
  type OwnRedisServer,
} from '../helpers/store-servers.js'
import { services } from '../helpers/services.js'

// RedisStore's owner index on a single server, beyond the conformance cases: how it is laid out,
// that Redis itself removes an expired record's entry, and what a returning visitor pays.

const redis = await connectTestRedis('redis-owner-index')
const nodeRedis = createClient({ url: services.redis, socket: { reconnectStrategy: false } })
nodeRedis.on('error', () => {})
if (redis.skipReason === undefined) await nodeRedis.connect()
afterAll(async () => {
  await redis.close()
  if (nodeRedis.isOpen) await nodeRedis.close()
})

const ada = ownerKeyOf('ada')
const bob = ownerKeyOf('bob')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let stores = 0

/** A store under a prefix of its own, and the raw keys of an owner's index under it. */
function storeOnSharedServer() {
  const prefix = `${redis.prefix}${stores++}:`
  const store = new RedisStore(redis.client, { prefix })
  const indexKeys = async (owner: string) => ownerIndexKeys(redis.client, prefix, owner)
  return { store, prefix, indexKeys }
}

const listed = async (store: RedisStore, owner: string) =>
  (await store.listOwner(owner)).map((record) => record.key).sort()

describe.skipIf(redis.skipReason !== undefined)('RedisStore owner index', () => {
  it("keeps a bound record's entry in a key of its own, expiring with the record", async () => {
    const { store, prefix, indexKeys } = storeOnSharedServer()
    const record = makeRecord('bound', { owner: ada, expiresAt: Date.now() + 60_000 })
    expect(await store.create(record)).toBe(true)

    const group = `${prefix}owner:${ada}`
    expect(Object.fromEntries(await indexKeys(ada))).toStrictEqual({
      [group]: 'hash',
      [`${group}:0`]: 'string',
    })
    expect(await redis.client.get(`${group}:0`)).toBe('bound')
    expect(await redis.client.hget(group, 'n')).toBe('1')
    const value = (await redis.client.get(`${prefix}bound`))!
    expect(
      value.startsWith(`{"version":0,"expiresAt":${record.expiresAt},"owner":"${ada}","entry":0,`)
    ).toBe(true)
    const expiry = await redis.client.call('PEXPIRETIME', `${prefix}bound`)
    expect(await redis.client.call('PEXPIRETIME', `${group}:0`)).toBe(expiry)
    expect(
      Math.abs(Number(await redis.client.call('PEXPIRETIME', group)) - Number(expiry))
    ).toBeLessThan(5)
  })

  it("Redis removes an expired record's entry by itself, and the group with the last one", async () => {
    const { store, indexKeys } = storeOnSharedServer()
    const now = Date.now()
    await store.create(makeRecord('short', { owner: ada, expiresAt: now + 300 }))
    await store.create(makeRecord('longer', { owner: ada, expiresAt: now + 700 }))
    expect((await indexKeys(ada)).size).toBe(3)
    await sleep(400) // no call to the store in between
    const left = [...(await indexKeys(ada)).keys()].sort()
    expect(left).toHaveLength(2)
    expect(await redis.client.get(left.find((key) => key.endsWith(':1'))!)).toBe('longer')
    await sleep(400)
    expect((await indexKeys(ada)).size).toBe(0)
  })

  it("a save that shortens a record's expiry shortens its owner's group too", async () => {
    const { store, prefix } = storeOnSharedServer()
    const record = makeRecord('shortened', { owner: ada, expiresAt: Date.now() + 600_000 })
    await store.create(record)
    expect(await store.save({ ...record, expiresAt: Date.now() + 10_000, version: 1 }, 0)).toBe(
      true
    )
    expect(await redis.client.pttl(`${prefix}owner:${ada}`)).toBeLessThanOrEqual(10_000)
  })

  it("entry numbers are reused, and a delete or an unbind of an owner's last record leaves no key of its index", async () => {
    const { store, prefix, indexKeys } = storeOnSharedServer()
    const group = `${prefix}owner:${ada}`
    const records = ['a', 'b', 'c'].map((key) => makeRecord(key, { owner: ada }))
    for (const record of records) await store.create(record)
    await store.delete('b')
    await store.create(makeRecord('d', { owner: ada }))
    expect(await redis.client.get(`${group}:1`)).toBe('d')
    await store.delete('c')
    await store.delete('d')
    expect(await redis.client.hget(group, 'n')).toBe('1')
    expect(await listed(store, ada)).toEqual(['a'])

    const unbound: SessionRecord = { ...records[0]!, version: 1 }
    delete unbound.owner
    expect(await store.save(unbound, 0)).toBe(true)
    expect((await indexKeys(ada)).size).toBe(0)
  })

  it("scan yields the records and none of the owner index's keys", async () => {
    const { store } = storeOnSharedServer()
    await store.create(makeRecord('one', { owner: ada }))
    await store.create(makeRecord('two', { owner: bob }))
    await store.create(makeRecord('three'))
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys.sort()).toEqual(['one', 'three', 'two'])
  })

  it('a bound value copied under another key is not listed until its first save, which indexes the copy too', async () => {
    const { store, prefix } = storeOnSharedServer()
    const original = makeRecord('original', { owner: ada })
    await store.create(original)
    await redis.client.call('COPY', `${prefix}original`, `${prefix}copy`)
    expect((await store.load('copy'))?.owner).toBe(ada)
    expect(await listed(store, ada)).toEqual(['original'])

    expect(await store.save({ ...original, key: 'copy', version: 1 }, 0)).toBe(true)
    expect(await listed(store, ada)).toEqual(['copy', 'original'])
    await store.delete('copy')
    expect(await listed(store, ada)).toEqual(['original'])
  })

  it('refuses to bind to a string that is not an owner key (INVALID_VALUE), and lists nothing for one', async () => {
    const { store } = storeOnSharedServer()
    const isInvalid = (error: unknown) => isSessionError(error) && error.code === 'INVALID_VALUE'
    const bad = makeRecord('bad', { owner: 'ada"}' })
    await expect(store.create(bad)).rejects.toSatisfy(isInvalid)
    await expect(store.save(bad)).rejects.toSatisfy(isInvalid)
    expect(await store.load('bad')).toBeUndefined()
    expect(await store.listOwner('*')).toEqual([])
  })

  describe.each([
    ['ioredis', () => redis.client],
    ['node-redis', () => nodeRedis],
  ] as const)('a returning visitor on %s', (_, client) => {
    it.each([
      ['bound to a user', 'ada'],
      ['not bound', undefined],
    ])('%s costs one load and one save, a command each', async (__, user) => {
      const counting = countingClient(client())
      const store = new RedisStore(counting.client, { prefix: `${redis.prefix}${stores++}:` })
      const { perRequest, counter } = await backendCallsPerReturningRequest(
        store,
        () => counting.sent.length,
        10,
        user
      )
      expect(counter).toBe('11')
      expect(perRequest).toBe(2)
      expect(counting.sent.slice(-2).map((command) => command[0])).toEqual(['GET', 'EVALSHA'])
      if (user !== undefined) expect(await store.listOwner(ownerKeyOf(user))).toHaveLength(1)
    })
  })
})

// The conformance suite's owner-index cases again, on a server of this file's own: how much a
// listing reads is the server's count of key lookups, which other tests on the shared server
// would disturb.
const ownSkip = await ownRedisSkipReason()
describe.skipIf(ownSkip !== undefined)('RedisStore owner index on a server of its own', () => {
  let server: OwnRedisServer
  let client: Redis
  let store: RedisStore
  let prefix: string
  beforeAll(async () => {
    server = await startOwnRedisServer()
    client = new Redis(server.url)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })
  beforeEach(() => {
    prefix = `own:${crypto.randomUUID()}:`
    store = new RedisStore(client, { prefix })
  })
  describeOwnerIndexCases({
    store: () => store,
    underTest: () => ({
      store,
      ownerIndexEntries: redisOwnerIndexEntries(client, () => prefix),
      readCost: redisReadCost(() => client),
    }),
    key: (suffix) => `${prefix}${suffix}`,
    prefix: () => prefix,
    options: {},
  })
})

import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord } from '../../src/core/store.js'
import { clusterSlot, slotTag } from '../../src/stores/redis-owner-keys.js'
import { DELETE, LIST_GROUP, REGISTER, WRITE } from '../../src/stores/redis-scripts.js'
import { RedisStore } from '../../src/stores/redis-store.js'
import {
  connectCluster,
  redisClusterForTests,
  type RedisClusterUnderTest,
} from '../helpers/redis-cluster.js'
import { countingClient, ownerIndexKeys } from '../helpers/redis-owner-index.js'
import { backendCallsPerReturningRequest } from '../helpers/round-trips.js'
import { skipReasonFor } from '../helpers/services.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { deferred } from '../helpers/stores.js'

// RedisStore's owner index on Redis Cluster (a cluster of this file's own, or the one
// REDIS_CLUSTER_NODES names): a record's entry sits in the record's slot, in its owner's group
// for that slot, so one script writes both; the owner's directory of slots sits in another slot
// and is written first.

let cluster: RedisClusterUnderTest | undefined
let client: Cluster | undefined
const skipReason = await skipReasonFor('Redis Cluster', 'a local cluster', async () => {
  cluster = await redisClusterForTests()
  client = await connectCluster(cluster.nodes).catch(async (error: unknown) => {
    await cluster?.stop()
    throw error
  })
})
const base = `test:redis-cluster-owner:${crypto.randomUUID()}:`

afterAll(async () => {
  // A cluster named by REDIS_CLUSTER_NODES is left as it was found.
  for (const node of client?.nodes('master') ?? []) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000)
      cursor = next
      for (const key of keys) await node.unlink(key)
    } while (cursor !== '0')
  }
  client?.disconnect()
  await cluster?.stop()
})
let stores = 0
const ada = ownerKeyOf('ada')
const bob = ownerKeyOf('bob')
const DAY = 86_400_000

/** A store with a prefix of its own (glob characters included), over `through` if given. */
function clusterStore(through?: ReturnType<typeof countingClient>) {
  const prefix = `${base}${stores++}:glob*?[x]\\:`
  const store = new RedisStore(through?.client ?? client!, { prefix })
  const indexKeys = (owner: string) => ownerIndexKeys(client!, prefix, owner)
  return { store, prefix, indexKeys }
}

const keySlot = async (key: string) => Number(await client!.cluster('KEYSLOT', key))
const listed = async (store: RedisStore, owner: string) =>
  (await store.listOwner(owner)).map((record) => record.key).sort()

describe.skipIf(skipReason !== undefined)('RedisStore owner index on Redis Cluster', () => {
  // As on a cluster that has served for a while: every master has the scripts, so the commands
  // counted below are the round trips of a warm deployment, without a first NOSCRIPT.
  beforeAll(async () => {
    for (const node of client!.nodes('master')) {
      for (const script of [WRITE, DELETE, LIST_GROUP, REGISTER]) {
        await node.script('LOAD', script.source)
      }
    }
  })

  it("puts each record's entry in the record's slot, and computes slots as Redis does", async () => {
    const { store, prefix, indexKeys } = clusterStore()
    const keys = [
      ...Array.from({ length: 40 }, (_, i) => `record-${i}`),
      'é{x}ü',
      '{}{a}',
      'x{b}',
      'y{b}',
    ]
    for (const key of keys) {
      expect(clusterSlot(prefix + key)).toBe(await keySlot(prefix + key))
      expect(await store.create(makeRecord(key, { owner: ada }))).toBe(true)
    }
    const masters = new Set<string>()
    // Entries in one slot's group are numbered in the order they were written ('x{b}' and 'y{b}'
    // share a slot, and 40 random slots collide about one run in twenty), so count per slot.
    const slots = new Map<number, number>()
    for (const key of keys) {
      const slot = await keySlot(prefix + key)
      const j = slots.get(slot) ?? 0
      slots.set(slot, j + 1)
      const entry = `${prefix}owner:${ada}:{${slotTag(slot)}}:${j}`
      expect(await keySlot(entry)).toBe(slot)
      expect(await client!.get(entry)).toBe(key)
      masters.add(
        String((await client!.cluster('SLOTS')).find((r) => r[0] <= slot && slot <= r[1])?.[2]?.[1])
      )
    }
    expect(masters.size).toBe(client!.nodes('master').length)
    expect(await listed(store, ada)).toEqual([...keys].sort())
    const directory = `${prefix}owner:${ada}:groups`
    expect((await indexKeys(ada)).get(directory)).toBe('zset')
    expect(await client!.zcard(directory)).toBe(slots.size)
  })

  it("registers a record's slot in the directory until a day past its expiry, once", async () => {
    const counting = countingClient(client!)
    const { store, prefix } = clusterStore(counting)
    const record = makeRecord('login', { owner: ada, expiresAt: Date.now() + 60_000 })
    expect(await store.create(record)).toBe(true)
    expect(counting.sent.map((command) => command[3])).toEqual([
      `${prefix}owner:${ada}:groups`,
      `${prefix}login`,
    ])
    const tag = slotTag(await keySlot(`${prefix}login`))
    const horizon = Number(await client!.zscore(`${prefix}owner:${ada}:groups`, tag))
    expect(horizon).toBeGreaterThanOrEqual(record.expiresAt + DAY)

    // Saves within the horizon are one script each; one past it registers first, then writes.
    counting.sent.length = 0
    const saved = { ...record, expiresAt: Date.now() + 120_000, version: 1 }
    expect(await store.save(saved, 0)).toBe(true)
    expect(counting.sent).toHaveLength(1)
    const past = { ...saved, expiresAt: horizon + 60_000, version: 2 }
    expect(await store.save(past, 1)).toBe(true)
    expect(counting.sent.slice(1).map((command) => command[3])).toEqual([
      `${prefix}login`,
      `${prefix}owner:${ada}:groups`,
      `${prefix}login`,
    ])
    expect(
      Number(await client!.zscore(`${prefix}owner:${ada}:groups`, tag))
    ).toBeGreaterThanOrEqual(past.expiresAt + DAY)
    expect(await listed(store, ada)).toEqual(['login'])
  })

  it('a returning visitor bound to a user costs one load and one save, a command each', async () => {
    const counting = countingClient(client!)
    const { store } = clusterStore(counting)
    const { perRequest, counter } = await backendCallsPerReturningRequest(
      store,
      () => counting.sent.length,
      10,
      'ada'
    )
    expect(counter).toBe('11')
    expect(perRequest).toBe(2)
    expect(await store.listOwner(ada)).toHaveLength(1)
  })

  it('a bind whose registration fails writes nothing, so no bound record is ever missing from the directory', async () => {
    const { store, prefix } = clusterStore()
    const record = makeRecord('unregistered')
    await store.create(record)
    await client!.set(`${prefix}owner:${ada}:groups`, 'not a sorted set')
    await expect(store.save({ ...record, owner: ada, version: 1 }, 0)).rejects.toSatisfy(
      (error) => isSessionError(error) && error.code === 'STORE_UNAVAILABLE'
    )
    expect(await store.load('unregistered')).toStrictEqual(record)
    await expect(store.create(makeRecord('also', { owner: ada }))).rejects.toSatisfy(isSessionError)
    expect(await store.load('also')).toBeUndefined()
  })

  it('a listing while a bind is held between its registration and its write does not list it, and lists it after', async () => {
    const held = deferred()
    const reached = deferred()
    let holding = true
    const gated = countingClient(client!, async (command) => {
      if (holding && command[0] === 'EVALSHA' && command[2] === '2') {
        holding = false
        reached.resolve()
        await held.promise
      }
    })
    const { store } = clusterStore(gated)
    const other = new RedisStore(client!, { prefix: store.prefix })
    const binding = store.create(makeRecord('held', { owner: ada }))
    await reached.promise // registered in the directory, not written
    const tag = slotTag(await keySlot(`${store.prefix}held`))
    expect(await client!.zscore(`${store.prefix}owner:${ada}:groups`, tag)).not.toBeNull()
    expect(await other.listOwner(ada)).toEqual([])
    expect(await other.load('held')).toBeUndefined()
    held.resolve()
    expect(await binding).toBe(true)
    expect(await listed(other, ada)).toEqual(['held'])
  })

  it("re-binding moves the entry within the record's slot; what is left of the old owner is its directory", async () => {
    const { store, prefix, indexKeys } = clusterStore()
    const record = makeRecord('moving', { owner: ada })
    await store.create(record)
    expect(await store.save({ ...record, owner: bob, version: 1 }, 0)).toBe(true)
    expect(await listed(store, ada)).toEqual([])
    expect(await listed(store, bob)).toEqual(['moving'])
    expect([...(await indexKeys(ada)).keys()]).toEqual([`${prefix}owner:${ada}:groups`])

    await store.delete('moving')
    expect(await listed(store, bob)).toEqual([])
    expect([...(await indexKeys(bob)).values()]).toEqual(['zset'])
  })

  it('when every record has expired, no entry or group is left, and the directory expires at its horizon', async () => {
    const { store, prefix, indexKeys } = clusterStore()
    const now = Date.now()
    for (let i = 0; i < 5; i++) {
      await store.create(makeRecord(`brief-${i}`, { owner: ada, expiresAt: now + 300 }))
    }
    await new Promise((resolve) => setTimeout(resolve, 400))
    const directory = `${prefix}owner:${ada}:groups`
    expect([...(await indexKeys(ada)).keys()]).toEqual([directory])
    const expiry = Number(await client!.call('PEXPIRETIME', directory))
    const [, last] = await client!.zrange(directory, '-1', '-1', 'WITHSCORES')
    expect(expiry).toBe(Number(last))
    expect(expiry).toBeLessThanOrEqual(now + 300 + DAY + 1000)
    expect(await store.listOwner(ada)).toEqual([])
  })

  it('a prefix with a whole hash tag keeps the store in one slot; one whose brace opens no tag is CONFIG', async () => {
    const store = new RedisStore(client!, { prefix: `${base}${stores++}{one slot}:` })
    const records: SessionRecord[] = ['a', 'b', 'c'].map((key) => makeRecord(key, { owner: ada }))
    for (const record of records) expect(await store.create(record)).toBe(true)
    expect(await listed(store, ada)).toEqual(['a', 'b', 'c'])
    await store.delete('b')
    expect(await listed(store, ada)).toEqual(['a', 'c'])

    for (const prefix of ['sessions{:', 'a{}b:']) {
      expect(() => new RedisStore(client!, { prefix })).toThrow(
        expect.toSatisfy((error) => isSessionError(error) && error.code === 'CONFIG')
      )
    }
  })
})

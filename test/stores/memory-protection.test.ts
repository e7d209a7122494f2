import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { Session } from '../../src/core/session.js'
import type { SessionRecord } from '../../src/core/store.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { makeRecord } from '../helpers/store-conformance.js'

// Which records a full MemoryStore keeps: a session continued by `cycleId` (a login) is ranked
// above every session that only came back, whatever a flood sends (issue 15).

const NOW = 1_000_000
const now = () => NOW
const record = (key: string, data: SessionRecord['data'] = { n: 1 }, ttl = 60_000) =>
  makeRecord(key, { createdAt: NOW, expiresAt: NOW + ttl, data })

/** `count` flood records, each created and (unless `once`) loaded and saved back once. */
async function flood(
  store: MemoryStore,
  count: number,
  data: SessionRecord['data'] = { n: 1 },
  once = false
) {
  for (let i = 0; i < count; i++) {
    const key = `flood${i}`
    await store.create(record(key, data))
    if (once) continue
    expect(await store.load(key)).toBeDefined()
    await store.save({ ...record(key, data), version: 1 }, 0)
  }
}

describe('MemoryStore: a record created with { cycled: true } (a login)', () => {
  it('outlives a flood of 1,000 records created once, though it was never used again', async () => {
    const store = new MemoryStore({ maxSessions: 100, now })
    await store.create(record('login'), { cycled: true })

    await flood(store, 1_000, { n: 1 }, true)

    expect(await store.load('login')).toBeDefined()
    expect(store.size).toBe(100)
  })

  it('outlives a flood of 1,000 records each created, loaded and saved again', async () => {
    const store = new MemoryStore({ maxSessions: 100, now })
    await store.create(record('login'), { cycled: true })
    await store.create(record('returning'))
    await store.load('returning')

    await flood(store, 1_000)

    expect(await store.load('login')).toBeDefined()
    // What the flood could buy: a session that only came back is evicted by records that did.
    expect(await store.load('returning')).toBeUndefined()
  })

  it('outlives a flood of records of maxRecordSize each, loaded and saved again', async () => {
    const store = new MemoryStore({ maxBytes: 640_000, now })
    const large = { text: 'x'.repeat(640_000 / 64 - '{"text":""}'.length) } // maxRecordSize
    await store.create(record('login'), { cycled: true })

    await flood(store, 1_000, large)

    expect(await store.load('login')).toBeDefined()
    expect(store.bytes).toBeLessThanOrEqual(640_000)
  })

  it('keeps its rank when it is saved again, and when a save makes it grow', async () => {
    const store = new MemoryStore({ maxSessions: 100, maxBytes: 64_000, now })
    await store.create(record('login'), { cycled: true })
    const grown = { text: 'x'.repeat(900) }
    expect(await store.save({ ...record('login', grown), version: 1 }, 0)).toBe(true)

    await flood(store, 1_000)

    expect(await store.load('login')).toMatchObject({ version: 1, data: grown })
  })

  it('is evicted after expired, new and returning records, in that order', async () => {
    let clock = NOW
    const store = new MemoryStore({ maxSessions: 4, now: () => clock })
    await store.create(record('login'), { cycled: true })
    await store.create(record('returning'))
    await store.load('returning')
    await store.create(record('new'))
    await store.create(record('expired', { n: 1 }, 1_000), { cycled: true })
    clock += 1_000

    const survivors = async () => {
      const keys: string[] = []
      for await (const { key } of store.scan()) keys.push(key)
      return keys.sort()
    }
    await store.create(record('a', { n: 1 }, 60_000))
    expect(await survivors()).toStrictEqual(['a', 'login', 'new', 'returning'])
    await store.create(record('b'))
    expect(await survivors()).toStrictEqual(['a', 'b', 'login', 'returning'])
    await store.create(record('c'))
    await store.create(record('d'))
    await store.create(record('e'))
    expect(await survivors()).toStrictEqual(['d', 'e', 'login', 'returning'])
  })

  it('loses its rank beyond 80 % of maxSessions, the least recently used first, staying bounded', async () => {
    const store = new MemoryStore({ maxSessions: 10, now })
    for (let i = 0; i < 10; i++) await store.create(record(`login${i}`), { cycled: true })
    await store.load('login0') // the most recently used now

    await flood(store, 100)

    expect(store.size).toBe(10)
    const kept: string[] = []
    for (let i = 0; i < 10; i++) if (await store.load(`login${i}`)) kept.push(`login${i}`)
    // 8 of 10 keep their rank; login1 and login2, used least recently, lost it to the flood.
    expect(kept).toStrictEqual(['login0', ...[3, 4, 5, 6, 7, 8, 9].map((i) => `login${i}`)])
  })
})

describe('MemoryStore maxRecordSize', () => {
  it('is a 64th of maxBytes: 1 MiB at the defaults, the engine default maxSize', () => {
    expect(new MemoryStore().maxRecordSize).toBe(1024 * 1024)
    expect(new MemoryStore({ maxBytes: 640_000 }).maxRecordSize).toBe(10_000)
  })

  it('refuses data over it with INVALID_VALUE at create and save, and keeps what it held', async () => {
    const store = new MemoryStore({ maxBytes: 640_000, now })
    const over = { text: 'x'.repeat(10_001 - '{"text":""}'.length) }
    const refused = (error: unknown) =>
      isSessionError(error) && error.code === 'INVALID_VALUE' && /maxRecordSize/.test(error.message)
    await store.create(record('k'))

    await expect(store.create(record('other', over))).rejects.toSatisfy(refused)
    await expect(store.save({ ...record('k', over), version: 1 }, 0)).rejects.toSatisfy(refused)
    expect(await store.load('other')).toBeUndefined()
    expect(await store.load('k')).toStrictEqual(record('k'))
    const fits = { text: 'x'.repeat(10_000 - '{"text":""}'.length) }
    expect(await store.save({ ...record('k', fits), version: 1 }, 0)).toBe(true)
  })

  it('is the default maxSize of the engine over it: a larger value is refused at set', async () => {
    const store = new MemoryStore({ maxBytes: 640_000 })
    const session = new Session({ store })
    await session.set('small', 'x'.repeat(9_000))

    await expect(session.set('large', 'x'.repeat(10_000))).rejects.toSatisfy(
      (error) => isSessionError(error) && error.code === 'INVALID_VALUE'
    )
    await session.save()
    expect(store.size).toBe(1)
  })
})

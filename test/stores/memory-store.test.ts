import { describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionRecord } from '../../src/core/store.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { memoryStoreUnderTest } from '../helpers/memory-read-cost.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

// 20,000: the scan test holds 10,000 live records plus expired ones, above the default bound.
describeStoreConformance('MemoryStore', () => memoryStoreUnderTest(), { isolated: true })

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  const clock = { now: start, read: () => clock.now }
  return clock
}

/** A record relative to the manual clock: live for `ttl` ms from `now`. */
function recordAt(now: number, key: string, ttl = 60_000, data = {}): SessionRecord {
  return makeRecord(key, { createdAt: now, expiresAt: now + ttl, data })
}

describe('MemoryStore bound', () => {
  it('holds at most maxSessions records, evicting the least recently used first', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ maxSessions: 100, now: clock.read })
    for (let i = 0; i < 100; i++) await store.create(recordAt(clock.now, `k${i}`))
    // Touch k0 (load) and k1 (save): they become the most recently used.
    expect(await store.load('k0')).toBeDefined()
    expect(await store.save(recordAt(clock.now, 'k1'), 0)).toBe(true)

    for (let i = 100; i < 150; i++) await store.create(recordAt(clock.now, `k${i}`))

    expect(store.size).toBe(100)
    expect(await store.load('k0')).toBeDefined()
    expect(await store.load('k1')).toBeDefined()
    // 50 evictions, oldest-used first: k2 to k51.
    for (let i = 2; i < 52; i++) expect(await store.load(`k${i}`)).toBeUndefined()
    for (let i = 52; i < 150; i++) expect(await store.load(`k${i}`)).toBeDefined()
  })

  it('evicts expired records before live ones', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ maxSessions: 1000, now: clock.read })
    // The least recently used records are live; the 10 newest expire soon, at the far end of the
    // store from the incremental sweep, so only the at-bound rule can find them in time.
    for (let i = 0; i < 990; i++) await store.create(recordAt(clock.now, `live${i}`, 60_000))
    for (let i = 0; i < 10; i++) await store.create(recordAt(clock.now, `short${i}`, 1_000))
    clock.now += 2_000

    for (let i = 0; i < 10; i++) await store.create(recordAt(clock.now, `new${i}`))

    expect(store.size).toBe(1000)
    for (let i = 0; i < 990; i++) expect(await store.load(`live${i}`)).toBeDefined()
    for (let i = 0; i < 10; i++) expect(await store.load(`new${i}`)).toBeDefined()
  })

  it('rejects a maxSessions that is not a positive integer', () => {
    for (const maxSessions of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      let error: unknown
      try {
        new MemoryStore({ maxSessions })
      } catch (caught) {
        error = caught
      }
      expect(isSessionError(error) && error.code === 'CONFIG').toBe(true)
    }
  })
})

describe('MemoryStore expiry', () => {
  it('reclaims expired records over subsequent writes, without deleteExpired', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ now: clock.read })
    // Interleave long-lived and short-lived records so the sweep must look past live ones.
    for (let i = 0; i < 300; i++) {
      await store.create(recordAt(clock.now, `k${i}`, i % 3 === 0 ? 3_600_000 : 1_000))
    }
    await store.create(recordAt(clock.now, 'busy', 3_600_000))
    expect(store.size).toBe(301)
    clock.now += 2_000

    // A busy visitor: one load and one save per request.
    for (let request = 0; request < 200; request++) {
      const record = await store.load('busy')
      if (record === undefined) throw new Error('the busy session was lost')
      await store.save({ ...record, version: record.version + 1 }, record.version)
    }

    expect(store.size).toBe(101)
    for (let i = 0; i < 300; i += 3) expect(await store.load(`k${i}`)).toBeDefined()
  })

  it('removes an expired record found by load, and deleteExpired reclaims the rest at once', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ now: clock.read })
    for (let i = 0; i < 4; i++) await store.create(recordAt(clock.now, `k${i}`, 1_000))
    await store.create(recordAt(clock.now, 'live', 60_000))
    clock.now += 1_000 // expiresAt <= now: expired

    expect(await store.load('k0')).toBeUndefined()
    expect(store.size).toBe(4)
    expect(await store.deleteExpired()).toBe(3)
    expect(store.size).toBe(1)
  })

  it('deleteExpired yields to the event loop every 1,024 deletions, or after 1 ms of deleting', async () => {
    /**
     * Expires `count` records, then counts the yields of deleteExpired: a timer chain started
     * before it (timers of one delay run in order) sees the store between two slices each time
     * it yields, whatever the load of the machine, and records the sizes it finds there.
     */
    async function turnsWhileDeleting(count: number): Promise<number> {
      const clock = manualClock()
      const store = new MemoryStore({ maxSessions: count, now: clock.read })
      for (let i = 0; i < count; i++) await store.create(recordAt(clock.now, `k${i}`, 1_000))
      clock.now += 1_000
      const between = new Set<number>()
      let deleting = true
      const probe = () => {
        if (store.size > 0 && store.size < count) between.add(store.size)
        if (deleting) setTimeout(probe, 0)
      }
      setTimeout(probe, 0)
      expect(await store.deleteExpired()).toBe(count)
      deleting = false
      expect(store.size).toBe(0)
      return between.size
    }
    // By count: with the clock standing still (as on Workers), 3,000 records take three slices.
    let now = 0
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now)
    try {
      expect(await turnsWhileDeleting(3000)).toBeGreaterThanOrEqual(2)
      // By time: with each clock reading 1 ms later, a slice ends after 128 deletions.
      clock.mockImplementation(() => (now += 1))
      expect(await turnsWhileDeleting(1000)).toBeGreaterThanOrEqual(7)
    } finally {
      clock.mockRestore()
    }
  })

  it('create replaces an expired record with the same key', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ now: clock.read })
    await store.create(recordAt(clock.now, 'k', 1_000, { who: 'old' }))
    clock.now += 1_000
    const replacement = recordAt(clock.now, 'k', 1_000, { who: 'new' })
    expect(await store.create(replacement)).toBe(true)
    expect(await store.load('k')).toStrictEqual(replacement)
  })

  it('save with expectedVersion on an expired record returns false and does not revive it', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ now: clock.read })
    const record = recordAt(clock.now, 'k', 1_000)
    await store.create(record)
    clock.now += 1_000
    expect(await store.save({ ...record, expiresAt: clock.now + 60_000, version: 1 }, 0)).toBe(
      false
    )
    expect(await store.load('k')).toBeUndefined()
    expect(store.size).toBe(0)
  })
})

describe('MemoryStore isolation', () => {
  it('never hands out or keeps a shared reference', async () => {
    const store = new MemoryStore()
    const record = makeRecord('k', { data: { list: [1], nested: { a: 'b' } } })
    await store.create(record)

    const first = await store.load('k')
    const second = await store.load('k')
    expect(first).toStrictEqual(second)
    expect(first).not.toBe(second)
    expect(first?.data).not.toBe(second?.data)
    expect(first?.data['list']).not.toBe(second?.data['list'])
    expect(first?.data).not.toBe(record.data)

    const scanned: SessionRecord[] = []
    for await (const each of store.scan()) scanned.push(each)
    expect(scanned).toStrictEqual([record])
    expect(scanned[0]).not.toBe(first)
    expect(scanned[0]?.data).not.toBe(record.data)
  })

  it('close drops every record and leaves the store usable', async () => {
    const store = new MemoryStore()
    await store.create(makeRecord('a'))
    await store.close()
    expect(store.size).toBe(0)
    expect(await store.load('a')).toBeUndefined()
    expect(await store.create(makeRecord('a'))).toBe(true)
  })

  it('rejects a scan batchSize that is not a positive integer', async () => {
    const store = new MemoryStore()
    await expect(async () => {
      for await (const _ of store.scan({ batchSize: 0 })) void _
    }).rejects.toSatisfy((error) => isSessionError(error) && error.code === 'CONFIG')
  })
})

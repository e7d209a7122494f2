import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionRecord } from '../../src/core/store.js'
import { MEMORY_RECORD_OVERHEAD, MemoryStore } from '../../src/stores/memory-store.js'
import { makeRecord } from '../helpers/store-conformance.js'

const NOW = 1_000_000
const now = () => NOW

/** A record whose data serializes to exactly `dataBytes` characters of JSON. */
function sized(key: string, dataBytes: number, ttl = 60_000): SessionRecord {
  const filler = 'x'.repeat(dataBytes - '{"v":""}'.length)
  return makeRecord(key, { createdAt: NOW, expiresAt: NOW + ttl, data: { v: filler } })
}

/** The bytes the store counts for a record of `sized(key, dataBytes)`. */
const counted = (key: string, dataBytes: number) => MEMORY_RECORD_OVERHEAD + key.length + dataBytes

describe('MemoryStore maxBytes', () => {
  it('evicts by bytes, the records created longest ago first', async () => {
    // Room for 100 records of 1,000 bytes of data, not 101 (each under maxRecordSize, 1/64).
    const maxBytes = Math.floor(100.5 * counted('k000', 1000))
    const store = new MemoryStore({ maxSessions: 1000, maxBytes, now })
    const key = (i: number) => `k${String(i).padStart(3, '0')}`
    for (let i = 0; i < 110; i++) await store.create(sized(key(i), 1000))

    expect(store.size).toBe(100)
    expect(store.bytes).toBe(100 * counted('k000', 1000))
    for (let i = 0; i < 10; i++) expect(await store.load(key(i))).toBeUndefined()
    for (let i = 10; i < 110; i++) expect(await store.load(key(i))).toBeDefined()
  })

  it('counts a save that grows a record, evicting others but never the record saved', async () => {
    const maxBytes = Math.floor(100.5 * counted('k000', 1000))
    const store = new MemoryStore({ maxBytes, now })
    const key = (i: number) => `k${String(i).padStart(3, '0')}`
    for (let i = 0; i < 100; i++) await store.create(sized(key(i), 1000))

    expect(await store.save({ ...sized('k099', 1800), version: 1 }, 0)).toBe(true)

    expect(store.bytes).toBeLessThanOrEqual(maxBytes)
    expect((await store.load('k099'))?.version).toBe(1)
    expect(await store.load('k000')).toBeUndefined()
    expect(await store.load('k001')).toBeDefined()
  })

  it('refuses a record, or a save, larger than maxBytes with INVALID_VALUE and keeps what it held', async () => {
    const store = new MemoryStore({ maxBytes: 10_000, now })
    await store.create(sized('small', 100))
    await expect(store.create(sized('huge', 20_000))).rejects.toSatisfy(
      (error) =>
        isSessionError(error) && error.code === 'INVALID_VALUE' && /maxBytes/.test(error.message)
    )
    expect(await store.load('small')).toBeDefined()
    expect(await store.load('huge')).toBeUndefined()

    await expect(store.save({ ...sized('small', 20_000), version: 1 }, 0)).rejects.toSatisfy(
      (error) => isSessionError(error) && error.code === 'INVALID_VALUE'
    )
    expect(await store.load('small')).toStrictEqual(sized('small', 100))
  })

  it('frees the bytes of deleted, expired and replaced records', async () => {
    let clock = NOW
    const store = new MemoryStore({ now: () => clock })
    await store.create(sized('a', 500, 1_000))
    await store.create(sized('b', 500))
    await store.save(sized('b', 200))
    expect(store.bytes).toBe(counted('a', 500) + counted('b', 200))
    await store.delete('b')
    expect(store.bytes).toBe(counted('a', 500))
    clock += 1_000
    expect(await store.deleteExpired()).toBe(1)
    expect(store.bytes).toBe(0)
  })

  it('rejects a maxBytes that is not a positive integer', () => {
    for (const maxBytes of [0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new MemoryStore({ maxBytes })).toThrow(/maxBytes takes an integer >= 1/)
    }
  })
})

describe('MemoryStore eviction order', () => {
  it('evicts expired records, even returning ones, before live records on probation', async () => {
    let clock = NOW
    const store = new MemoryStore({ maxSessions: 10, now: () => clock })
    // Two returning sessions that expire soon, eight live one-time sessions.
    for (const key of ['short0', 'short1']) {
      await store.create(makeRecord(key, { createdAt: clock, expiresAt: clock + 1_000 }))
      expect(await store.load(key)).toBeDefined()
    }
    for (let i = 0; i < 8; i++) {
      await store.create(makeRecord(`live${i}`, { createdAt: clock, expiresAt: clock + 60_000 }))
    }
    clock += 2_000

    await store.create(makeRecord('new0', { createdAt: clock, expiresAt: clock + 60_000 }))
    await store.create(makeRecord('new1', { createdAt: clock, expiresAt: clock + 60_000 }))

    expect(store.size).toBe(10)
    for (let i = 0; i < 8; i++) expect(await store.load(`live${i}`)).toBeDefined()
  })

  it('promotes a record saved again after its creation, not one only created', async () => {
    const store = new MemoryStore({ maxSessions: 10, now })
    for (let i = 0; i < 10; i++) await store.create(sized(`k${i}`, 50))
    expect(await store.save({ ...sized('k0', 60), version: 1 }, 0)).toBe(true)

    for (let i = 0; i < 9; i++) await store.create(sized(`flood${i}`, 50))

    expect(await store.load('k0')).toBeDefined()
    for (let i = 1; i < 10; i++) expect(await store.load(`k${i}`)).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord } from '../../src/core/store.js'
import {
  MEMORY_RECORD_OVERHEAD,
  MemoryStore,
  ownerIndexEntriesOf,
} from '../../src/stores/memory-store.js'
import { makeRecord } from '../helpers/store-conformance.js'

// The MemoryStore's owner index beyond the conformance cases: the removals only this store makes
// (eviction, the sweep of expired records on writes, close) leave no entry behind.

const ada = ownerKeyOf('ada')
const bob = ownerKeyOf('bob')

/** A clock the test moves by hand, and a store on it. */
function storeOnClock(maxSessions = 1000) {
  const clock = { now: 1_000_000 }
  const store = new MemoryStore({ maxSessions, now: () => clock.now })
  const record = (key: string, overrides: Partial<SessionRecord> = {}) =>
    makeRecord(key, { createdAt: clock.now, expiresAt: clock.now + 60_000, ...overrides })
  return { clock, store, record }
}

const keysOf = async (list: Promise<SessionRecord[]>) => (await list).map((r) => r.key).sort()

describe('MemoryStore owner index', () => {
  it('an evicted record leaves its owner list and the index', async () => {
    const { store, record } = storeOnClock(10)
    for (let i = 0; i < 5; i++) await store.create(record(`ada${i}`, { owner: ada }))
    for (let i = 0; i < 5; i++) await store.create(record(`other${i}`))
    // Five more evict the five oldest: ada's records, never used since their creation.
    for (let i = 0; i < 5; i++) await store.create(record(`new${i}`, { owner: bob }))
    expect(store.size).toBe(10)
    expect(await store.listOwner(ada)).toEqual([])
    expect(ownerIndexEntriesOf(store, ada)).toBe(0)
    expect(await keysOf(store.listOwner(bob))).toEqual(['new0', 'new1', 'new2', 'new3', 'new4'])
    expect(store.owners).toBe(1)
  })

  it('the sweep of expired records on writes takes them out of the index too', async () => {
    const { clock, store, record } = storeOnClock()
    for (let i = 0; i < 4; i++) {
      await store.create(record(`short${i}`, { owner: ada, expiresAt: clock.now + 1000 }))
    }
    clock.now += 2000
    expect(ownerIndexEntriesOf(store, ada)).toBe(4)
    await store.create(record('unrelated')) // each write reclaims a few expired records
    expect(ownerIndexEntriesOf(store, ada)).toBe(0)
    expect(store.owners).toBe(0)
  })

  it('a listing reclaims the expired records it finds', async () => {
    const { clock, store, record } = storeOnClock()
    await store.create(record('short', { owner: ada, expiresAt: clock.now + 1000 }))
    await store.create(record('long', { owner: ada }))
    clock.now += 2000
    expect(await keysOf(store.listOwner(ada))).toEqual(['long'])
    expect(ownerIndexEntriesOf(store, ada)).toBe(1)
    expect(store.size).toBe(1)
  })

  it('saves of a bound record keep one entry, and count its owner key in its bytes', async () => {
    const { store, record } = storeOnClock()
    const bound = record('k', { owner: ada, data: {} })
    await store.create(bound)
    for (let version = 1; version <= 50; version++) {
      expect(await store.save({ ...bound, data: { version }, version }, version - 1)).toBe(true)
    }
    expect(ownerIndexEntriesOf(store, ada)).toBe(1)
    const data = JSON.stringify({ version: 50 }).length
    expect(store.bytes).toBe(MEMORY_RECORD_OVERHEAD + 'k'.length + data + ada.length)
  })

  it('indexes each owner once however many records it has, and close forgets them all', async () => {
    const { store, record } = storeOnClock()
    for (let i = 0; i < 300; i++) {
      await store.create(record(`k${i}`, { owner: ownerKeyOf(`user${i % 3}`) }))
    }
    expect(store.owners).toBe(3)
    expect(ownerIndexEntriesOf(store, ownerKeyOf('user0'))).toBe(100)
    await store.close()
    expect(store.owners).toBe(0)
    expect(await store.listOwner(ownerKeyOf('user0'))).toEqual([])
    // Usable again: slots handed out anew are linked afresh.
    await store.create(record('again', { owner: ada }))
    expect(await keysOf(store.listOwner(ada))).toEqual(['again'])
  })
})

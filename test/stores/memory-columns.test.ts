import { describe, expect, it } from 'vitest'
import { sha256Base64url } from '../../src/core/crypto.js'
import { IntegerColumn } from '../../src/stores/memory-integer-column.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { makeRecord } from '../helpers/store-conformance.js'

// The slab keeps versions in 32 bits: a number that does not fit must come back exactly as
// written, never wrapped or rounded, and compare-and-set must see the very same number.
const OUT_OF_RANGE = [2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -0, 1.5, -(2 ** 40)]

describe('MemoryStore columns', () => {
  it('gives back a version or schema version that 32 bits do not hold exactly as written', async () => {
    const store = new MemoryStore()
    for (const [i, value] of OUT_OF_RANGE.entries()) {
      const key = i % 2 === 0 ? sha256Base64url(`record ${i}`) : `record-${i}`
      await store.create(makeRecord(key, { version: value, schemaVersion: value }))
      const loaded = await store.load(key)
      expect(Object.is(loaded?.version, value)).toBe(true)
      expect(Object.is(loaded?.schemaVersion, value)).toBe(true)
      expect(await store.save({ ...loaded!, version: 7 }, value + 1)).toBe(false)
      expect(await store.save({ ...loaded!, version: 7 }, value)).toBe(true)
      expect((await store.load(key))?.version).toBe(7)
      expect((await store.load(key))?.schemaVersion).toBe(value)
    }
  })

  it('reuses a slot that held an out-of-range number for one that fits, and back', () => {
    const column = new IntegerColumn(2)
    column.set(0, 2 ** 40)
    column.set(1, 3)
    expect([column.get(0), column.get(1)]).toEqual([2 ** 40, 3])
    column.set(0, 5)
    column.release(1)
    column.set(1, -2)
    expect([column.get(0), column.get(1)]).toEqual([5, -2])
    column.reset()
    expect([column.get(0), column.get(1)]).toEqual([0, 0])
  })
})

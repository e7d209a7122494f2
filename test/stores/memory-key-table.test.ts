import { describe, expect, it } from 'vitest'
import { toBase64url } from '../../src/core/base64url.js'
import { sha256Base64url } from '../../src/core/crypto.js'
import { KeyTable } from '../../src/stores/memory-key-table.js'

/** A record key as the engine writes it: base64url of a SHA-256, 43 characters. */
const recordKey = (i: number) => sha256Base64url(`session ${i}`)

/** A small deterministic generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
    return seed / 2 ** 32
  }
}

/** Checks `table` against `expected` (key → slot) through every way of reading it. */
function expectHolds(table: KeyTable, expected: Map<string, number>): void {
  expect(table.size).toBe(expected.size)
  for (const [key, slot] of expected) {
    expect(table.get(key)).toBe(slot)
    expect(table.keyOf(slot)).toBe(key)
  }
  expect(table.keys().sort()).toEqual([...expected.keys()].sort())
}

describe('KeyTable, the MemoryStore key index', () => {
  it('finds every record key after adds and removes in any order, the table full to its capacity', () => {
    // 64 slots in a table of 128 positions: collisions and wrap-arounds on every few adds.
    const capacity = 64
    const table = new KeyTable(capacity)
    const next = random(7)
    const expected = new Map<string, number>()
    const freeSlots = Array.from({ length: capacity }, (_, slot) => slot)
    let drawn = 0
    for (let step = 0; step < 5000; step++) {
      const add = freeSlots.length > 0 && (expected.size === 0 || next() < 0.55)
      if (add) {
        const slot = freeSlots.splice(Math.floor(next() * freeSlots.length), 1)[0]!
        const key = recordKey(drawn++)
        expect(table.get(key)).toBeUndefined()
        table.add(key, slot)
        expected.set(key, slot)
      } else {
        const keys = [...expected.keys()]
        const key = keys[Math.floor(next() * keys.length)]!
        const slot = expected.get(key)!
        table.removeSlot(slot)
        expected.delete(key)
        freeSlots.push(slot)
        expect(table.get(key)).toBeUndefined()
      }
      if (step % 50 === 0 || expected.size === capacity) expectHolds(table, expected)
    }
    expectHolds(table, expected)
  })

  it('keeps keys of any other shape in its side map, each given back as it was added', () => {
    const table = new KeyTable(16)
    const canonical = recordKey(1)
    const others = [
      'record-1',
      `${canonical}.moved`, // a moved marker's key
      `${canonical.slice(0, 42)}B`, // 43 characters whose last one has non-zero trailing bits
      `${canonical.slice(0, 42)}+`, // a character outside base64url
      `${canonical.slice(0, 20)}é${canonical.slice(21)}`,
      canonical.slice(0, 42),
      '',
    ]
    const expected = new Map<string, number>()
    ;[canonical, ...others].forEach((key, slot) => {
      table.add(key, slot)
      expected.set(key, slot)
    })
    expectHolds(table, expected)

    table.removeSlot(expected.get('record-1')!)
    table.removeSlot(expected.get(canonical)!)
    expected.delete('record-1')
    expected.delete(canonical)
    expectHolds(table, expected)
    expect(table.get('record-1')).toBeUndefined()
    expect(table.get(canonical)).toBeUndefined()
  })

  it('tells apart keys that share their first bytes, and hence their position', () => {
    const table = new KeyTable(8)
    const bytes = new Uint8Array(32)
    const keys = [0, 1, 2, 3].map((last) => {
      bytes[31] = last
      return toBase64url(bytes)
    })
    keys.forEach((key, slot) => table.add(key, slot))
    keys.forEach((key, slot) => expect(table.get(key)).toBe(slot))
    table.removeSlot(1)
    expect(table.get(keys[1]!)).toBeUndefined()
    expect([keys[0], keys[2], keys[3]].map((key) => table.get(key!))).toEqual([0, 2, 3])
  })

  it('removes nothing, and ends, for a slot whose key it does not hold', () => {
    const table = new KeyTable(2)
    table.add(recordKey(1), 0)
    table.add(recordKey(2), 1)
    table.removeSlot(1)
    table.removeSlot(1)
    expect(table.size).toBe(1)
    expect(table.get(recordKey(1))).toBe(0)
  })

  it('forgets every key on clear', () => {
    const table = new KeyTable(4)
    table.add(recordKey(1), 0)
    table.add('record-1', 1)
    table.clear()
    expect(table.size).toBe(0)
    expect(table.get(recordKey(1))).toBeUndefined()
    expect(table.get('record-1')).toBeUndefined()
    expect(table.keys()).toEqual([])
  })
})

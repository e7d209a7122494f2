import type { JsonObject } from '../core/json.js'
import { expect, it } from './runner.js'
import { makeRecord, type ConformanceSuite } from './store-under-test.js'

/**
 * The data cases of the store conformance suite: what a store hands back is exactly what it was
 * given (1 MB values, unicode, a `__proto__` key, nested JSON) and never shared with the caller.
 */
export function describeValueCases(suite: ConformanceSuite): void {
  const { key } = suite

  it('values up to 1 MB round-trip', async () => {
    const store = suite.store()
    const pattern = 'session-data 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ '
    const big = pattern.repeat(Math.ceil(1_000_000 / pattern.length)).slice(0, 1_000_000)
    const record = makeRecord(key('big'), { data: { big, tail: 'end' } })
    expect(await store.create(record)).toBe(true)
    expect(await store.load(record.key)).toStrictEqual(record)
  })

  it('unicode round-trips: emoji, RTL, astral characters, line separators', async () => {
    const store = suite.store()
    const data: JsonObject = {
      emoji: '😀 👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽',
      hebrew: 'שלום עולם',
      arabic: 'مرحبا بالعالم',
      astral: '𝌆 𠜎 𝒳 🀄',
      separators: 'a\u2028b\u2029c',
      escapes: 'quote " backslash \\ tab \t newline \n',
      combining: 'e\u0301 n\u0303',
      'ключ 🔑': 'значение',
    }
    const record = makeRecord(key('unicode-🔑'), { data })
    expect(await store.create(record)).toBe(true)
    expect(await store.load(record.key)).toStrictEqual(record)
  })

  it('a __proto__ key in data round-trips as an own key and pollutes no prototype', async () => {
    const store = suite.store()
    const data = JSON.parse(
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"a":1}'
    ) as JsonObject
    const record = makeRecord(key('proto'), { data })
    expect(await store.create(record)).toBe(true)
    const loaded = await store.load(record.key)

    expect(loaded).toBeDefined()
    const loadedData = loaded?.data ?? {}
    expect(Object.hasOwn(loadedData, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(loadedData)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(loadedData, '__proto__')?.value).toStrictEqual({
      polluted: 'yes',
    })
    expect(Object.keys(loadedData).sort()).toStrictEqual(['__proto__', 'a', 'constructor'])
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
    expect((Object.prototype as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it('nested arrays, objects, numbers, booleans and null round-trip exactly', async () => {
    const store = suite.store()
    let deep: JsonObject = { leaf: true }
    for (let i = 0; i < 20; i++) deep = { level: i, next: deep }
    const data: JsonObject = {
      numbers: [
        0,
        1,
        -1,
        1.5,
        0.1 + 0.2,
        1e-7,
        1e21,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
      ],
      booleans: [true, false],
      nothing: null,
      empty: { object: {}, array: [], string: '' },
      matrix: [
        [1, 2],
        [3, [4, [5, null]]],
      ],
      objects: [{ a: 1 }, { b: [{ c: false }] }],
      deep,
    }
    const record = makeRecord(key('nested'), { data })
    expect(await store.create(record)).toBe(true)
    expect(await store.load(record.key)).toStrictEqual(record)
  })

  it('load returns a fresh object: mutating it does not change the stored record', async () => {
    const store = suite.store()
    const record = makeRecord(key('fresh'), { data: { list: [1, 2], nested: { a: 'b' } } })
    await store.create(record)
    const expected = structuredClone(record)

    const first = await store.load(record.key)
    if (first === undefined) throw new Error('the record was not loaded')
    first.version = 42
    first.data['added'] = true
    ;(first.data['list'] as number[]).push(3)
    ;(first.data['nested'] as JsonObject)['a'] = 'changed'

    const second = await store.load(record.key)
    expect(second).toStrictEqual(expected)
    expect(second).not.toBe(first)
  })

  it('mutating a record after create or save does not change the stored record', async () => {
    const store = suite.store()
    const record = makeRecord(key('input'), { data: { list: [1], nested: { a: 'b' } } })
    await store.create(record)
    const expected = structuredClone(record)
    ;(record.data['list'] as number[]).push(2)
    ;(record.data['nested'] as JsonObject)['a'] = 'changed'
    expect(await store.load(record.key)).toStrictEqual(expected)

    const saved = structuredClone({ ...expected, version: 1 })
    await store.save(saved, 0)
    const expectedSaved = structuredClone(saved)
    saved.data['late'] = 'write'
    expect(await store.load(record.key)).toStrictEqual(expectedSaved)
  })
}

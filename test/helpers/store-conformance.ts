import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { recordKeyOf } from '../../src/core/session-id.js'
import { counterSession } from '../../schemas/counter.js'
import { CookieJar, sessionApp } from './http.js'
import type { JsonObject } from '../../src/core/json.js'
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import { expectCopiedValueStaysUnderItsKey, type CopyStoredValue } from './stored-value-copies.js'
import { describeOwnerIndexCases } from './owner-index-conformance.js'

/** What a store's test file hands the suite: a store, and how to release it. */
export interface StoreUnderTest {
  store: SessionStore
  cleanup?: () => Promise<void>
  /**
   * For a store that keeps a value apart from its key (Redis, KV stores, files): copies a raw
   * stored value under another key, to show that the copy is that key's record.
   */
  copyStoredValue?: CopyStoredValue
  /**
   * For a store with `listOwner`: how many entries its owner index holds for `owner`, read from
   * the backend directly (not through `listOwner`, which filters), expired ones included. The
   * owner-index cases check with it that no entry outlives its record. A store whose backend
   * expires entries by itself (a native TTL) may wait here until that has happened.
   */
  ownerIndexEntries?: (owner: string) => Promise<number>
  /**
   * For a store with `listOwner`: runs `run` and returns how much of the store it read, in the
   * store's own unit (rows examined, keys read, records decoded). The owner-index cases check
   * with it that a listing costs what the owner has, not what the store holds.
   */
  readCost?: (run: () => Promise<unknown>) => Promise<number>
}

/** Options of `describeStoreConformance`. */
export interface StoreConformanceOptions {
  /** Skip the whole suite, saying why (e.g. "no Redis server on this machine"). */
  skipReason?: string | undefined
  /**
   * Every `setup` returns a store no one else writes to (e.g. a fresh `MemoryStore`): counts are
   * then asserted exactly instead of as lower bounds. A store whose records vanish on their own
   * (a native TTL) should not implement `deleteExpired`: it would have nothing left to count.
   */
  isolated?: boolean
  /**
   * A store of the same kind whose server cannot be reached (a closed port): every operation
   * must fail with `SessionError` `STORE_UNAVAILABLE` carrying the driver's error as `cause`.
   */
  unreachable?: () => Promise<SessionStore> | SessionStore
  /**
   * The store's conditional `save` is best effort, not an atomic compare-and-set (its backend
   * cannot do one): the reason why. The test that races concurrent conditional saves is then
   * skipped with this reason in its title; the sequential version checks still run.
   */
  bestEffortCompareAndSet?: string
}

const MINUTE = 60_000

/** A record with sensible defaults, live for an hour. */
export function makeRecord(key: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now()
  return {
    key,
    data: { count: 1 },
    createdAt: now,
    expiresAt: now + 60 * MINUTE,
    version: 0,
    schemaVersion: 0,
    ...overrides,
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Awaits `tasks` with at most `chunk` in flight at once. */
async function inChunks<T>(items: T[], chunk: number, task: (item: T) => Promise<unknown>) {
  for (let start = 0; start < items.length; start += chunk) {
    await Promise.all(items.slice(start, start + chunk).map(task))
  }
}

/**
 * The one conformance suite every `SessionStore` passes (DESIGN.md §6). `setup` runs before each
 * test and `cleanup` after it. Keys carry a random per-test prefix, so stores on a shared server
 * do not collide with other tests or runs.
 * @example describeStoreConformance('MemoryStore', () => ({ store: new MemoryStore() }), { isolated: true })
 */
export function describeStoreConformance(
  name: string,
  setup: () => Promise<StoreUnderTest> | StoreUnderTest,
  options: StoreConformanceOptions = {}
): void {
  const { skipReason, isolated = false, unreachable, bestEffortCompareAndSet } = options
  const title =
    skipReason === undefined
      ? `${name} conformance`
      : `${name} conformance (skipped: ${skipReason})`

  describe.skipIf(skipReason !== undefined)(title, () => {
    let store: SessionStore
    let cleanup: (() => Promise<void>) | undefined
    let copyStoredValue: CopyStoredValue | undefined
    let underTest: StoreUnderTest
    let prefix: string
    const key = (suffix: string | number) => `${prefix}:${suffix}`

    beforeEach(async () => {
      underTest = await setup()
      store = underTest.store
      cleanup = underTest.cleanup
      copyStoredValue = underTest.copyStoredValue
      prefix = `conformance-${crypto.randomUUID()}`
    })

    afterEach(async () => {
      await cleanup?.()
    })

    it('create inserts and load returns an equal record', async () => {
      const withExpiry = makeRecord(key('with-expiry'), {
        data: { user: 'ada', roles: ['admin'] },
        version: 0,
        schemaVersion: 3,
        expiry: { kind: 'onInactivity', seconds: 1800 },
        token: 'create-token',
      })
      const withoutExpiry = makeRecord(key('without-expiry'))
      expect(await store.create(withExpiry)).toBe(true)
      expect(await store.create(withoutExpiry)).toBe(true)

      expect(await store.load(withExpiry.key)).toStrictEqual(withExpiry)
      const loaded = await store.load(withoutExpiry.key)
      expect(loaded).toStrictEqual(withoutExpiry)
      expect(loaded !== undefined && 'expiry' in loaded).toBe(false)
      expect(loaded !== undefined && 'token' in loaded).toBe(false)
    })

    it('the write token of create and of each save round-trips', async () => {
      const created = makeRecord(key('token'), { token: 'first' })
      expect(await store.create(created)).toBe(true)
      expect((await store.load(created.key))?.token).toBe('first')
      const saved = { ...created, version: 1, token: 'second' }
      expect(await store.save(saved, 0)).toBe(true)
      expect(await store.load(created.key)).toStrictEqual(saved)
      expect(await store.save({ ...saved, version: 2, token: 'third' })).toBe(true)
      expect((await store.load(created.key))?.token).toBe('third')
    })

    it('create on an existing key returns false and leaves the first record', async () => {
      const first = makeRecord(key('taken'), { data: { who: 'first' } })
      expect(await store.create(first)).toBe(true)
      expect(await store.create(makeRecord(first.key, { data: { who: 'second' } }))).toBe(false)
      expect(await store.load(first.key)).toStrictEqual(first)
    })

    it('a stored value copied under another key is the record of that key, and its writes stay there', async (context) => {
      if (copyStoredValue === undefined) return context.skip('no raw copy for this store')
      const original = makeRecord(key('original'), { data: { who: 'original' }, token: 'o' })
      await expectCopiedValueStaysUnderItsKey(store, copyStoredValue, original, key('copy'))
    })

    it('load of a missing key is undefined', async () => {
      expect(await store.load(key('missing'))).toBeUndefined()
    })

    it('a record whose expiresAt is past is not loaded', async () => {
      const past = makeRecord(key('past'), { expiresAt: Date.now() - MINUTE })
      expect(await store.create(past)).toBe(true)
      expect(await store.load(past.key)).toBeUndefined()
    })

    it('a record is not loaded once its expiresAt passes, even before a native TTL fires', async () => {
      const soon = makeRecord(key('soon'), { expiresAt: Date.now() + 300 })
      expect(await store.create(soon)).toBe(true)
      expect(await store.load(soon.key)).toStrictEqual(soon)
      await sleep(400)
      expect(await store.load(soon.key)).toBeUndefined()
    })

    it('save without expectedVersion upserts', async () => {
      const fresh = makeRecord(key('upsert'), { data: { step: 1 } })
      expect(await store.save(fresh)).toBe(true)
      expect(await store.load(fresh.key)).toStrictEqual(fresh)

      const overwrite = makeRecord(fresh.key, { data: { step: 2 }, version: 7 })
      expect(await store.save(overwrite)).toBe(true)
      expect(await store.load(fresh.key)).toStrictEqual(overwrite)
    })

    it('save with the current version succeeds and bumps the version', async () => {
      const record = makeRecord(key('cas'))
      await store.create(record)
      const first = { ...record, data: { count: 2 }, version: 1 }
      expect(await store.save(first, 0)).toBe(true)
      expect(await store.load(record.key)).toStrictEqual(first)
      const second = { ...record, data: { count: 3 }, version: 2 }
      expect(await store.save(second, 1)).toBe(true)
      expect(await store.load(record.key)).toStrictEqual(second)
    })

    it('save with a stale version returns false and changes nothing', async () => {
      const record = makeRecord(key('stale'))
      await store.create(record)
      const current = { ...record, data: { count: 2 }, version: 1 }
      await store.save(current, 0)
      expect(await store.save({ ...record, data: { count: 99 }, version: 1 }, 0)).toBe(false)
      expect(await store.load(record.key)).toStrictEqual(current)
    })

    it('save with expectedVersion on a missing key returns false and inserts nothing', async () => {
      const record = makeRecord(key('gone'), { version: 1 })
      expect(await store.save(record, 0)).toBe(false)
      expect(await store.load(record.key)).toBeUndefined()
    })

    const raceTitle =
      bestEffortCompareAndSet === undefined
        ? 'of 50 concurrent saves of one version exactly one wins, with its data'
        : `of 50 concurrent saves of one version exactly one wins (skipped: ${bestEffortCompareAndSet})`
    it.skipIf(bestEffortCompareAndSet !== undefined)(raceTitle, async () => {
      const record = makeRecord(key('race'))
      await store.create(record)
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.save({ ...record, data: { writer: i }, version: 1 }, 0)
        )
      )
      const winners = results.flatMap((won, i) => (won ? [i] : []))
      expect(winners).toHaveLength(1)
      expect(await store.load(record.key)).toStrictEqual({
        ...record,
        data: { writer: winners[0] },
        version: 1,
      })
    })

    it('delete removes the record, and deleting a missing key resolves', async () => {
      const record = makeRecord(key('doomed'))
      await store.create(record)
      await store.delete(record.key)
      expect(await store.load(record.key)).toBeUndefined()
      await expect(store.delete(record.key)).resolves.toBeUndefined()
      await expect(store.delete(key('never-existed'))).resolves.toBeUndefined()
      expect(await store.create(makeRecord(record.key))).toBe(true)
    })

    it('deleteExpired removes only expired records and returns their count', async (context) => {
      if (store.deleteExpired === undefined) return context.skip('the store has no deleteExpired')
      // Live when created, expired by the time deleteExpired runs: a store may reclaim records
      // that are already expired on its own (during writes), which would leave nothing to count.
      const now = Date.now()
      const expiring = Array.from({ length: 5 }, (_, i) =>
        makeRecord(key(`expiring-${i}`), { expiresAt: now + 300 + i })
      )
      const live = Array.from({ length: 3 }, (_, i) =>
        makeRecord(key(`live-${i}`), { expiresAt: now + 60 * MINUTE + i })
      )
      await Promise.all([...expiring, ...live].map((record) => store.create(record)))
      await sleep(400)

      const deleted = await store.deleteExpired()
      // A shared server may hold other expired records, so in general only a lower bound is sure.
      if (isolated) expect(deleted).toBe(expiring.length)
      else expect(deleted).toBeGreaterThanOrEqual(expiring.length)
      for (const record of expiring) expect(await store.load(record.key)).toBeUndefined()
      for (const record of live) expect(await store.load(record.key)).toStrictEqual(record)
      if (isolated) expect(await store.deleteExpired()).toBe(0)
    })

    it('scan of 10,000 records yields each exactly once and skips expired ones', async (context) => {
      if (store.scan === undefined) return context.skip('the store has no scan')
      const now = Date.now()
      const live = Array.from({ length: 10_000 }, (_, i) => key(`scan-${i}`))
      const expired = Array.from({ length: 20 }, (_, i) => key(`scan-expired-${i}`))
      await inChunks(live, 500, (k) => store.create(makeRecord(k, { data: { k } })))
      await inChunks(expired, 500, (k) => store.create(makeRecord(k, { expiresAt: now - MINUTE })))

      const seen: string[] = []
      let total = 0
      for await (const record of store.scan()) {
        total++
        if (record.key.startsWith(`${prefix}:`)) {
          seen.push(record.key)
          expect(record.data).toStrictEqual({ k: record.key })
        }
      }
      expect(seen).toHaveLength(live.length)
      expect(new Set(seen)).toStrictEqual(new Set(live))
      if (isolated) expect(total).toBe(live.length)
    })

    it('scan yields every record present throughout exactly once while the store changes', async (context) => {
      if (store.scan === undefined) return context.skip('the store has no scan')
      const original = Array.from({ length: 200 }, (_, i) => key(`mixed-${i}`))
      await Promise.all(original.map((k) => store.create(makeRecord(k))))
      const deleted = new Set(original.filter((_, i) => i % 10 === 9))

      const seen: string[] = []
      let step = 0
      for await (const record of store.scan({ batchSize: 7 })) {
        if (!record.key.startsWith(`${prefix}:`)) continue
        seen.push(record.key)
        // Reads and writes that reorder LRU stores, deletions, and inserts, mid-scan.
        const other = original[(step * 37) % original.length] ?? record.key
        const loaded = await store.load(other)
        if (loaded !== undefined) {
          await store.save({ ...loaded, version: loaded.version + 1 }, loaded.version)
        }
        const doomed = [...deleted][step]
        if (doomed !== undefined) await store.delete(doomed)
        await store.create(makeRecord(key(`added-${step}`)))
        step++
      }

      expect(new Set(seen).size).toBe(seen.length)
      const survivors = original.filter((k) => !deleted.has(k))
      expect(seen).toEqual(expect.arrayContaining(survivors))
    })

    it('values up to 1 MB round-trip', async () => {
      const pattern =
        'session-data 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ '
      const big = pattern.repeat(Math.ceil(1_000_000 / pattern.length)).slice(0, 1_000_000)
      const record = makeRecord(key('big'), { data: { big, tail: 'end' } })
      expect(await store.create(record)).toBe(true)
      expect(await store.load(record.key)).toStrictEqual(record)
    })

    it('unicode round-trips: emoji, RTL, astral characters, line separators', async () => {
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

    it('create replaces an expired record, and save with expectedVersion does not revive one', async () => {
      const expired = makeRecord(key('expired'), { expiresAt: Date.now() - MINUTE })
      expect(await store.create(expired)).toBe(true)
      expect(await store.save(makeRecord(expired.key, { version: 1 }), 0)).toBe(false)
      expect(await store.load(expired.key)).toBeUndefined()
      const fresh = makeRecord(expired.key, { data: { fresh: true } })
      expect(await store.create(fresh)).toBe(true)
      expect(await store.load(expired.key)).toStrictEqual(fresh)
    })

    it.skipIf(unreachable === undefined)(
      'an unreachable server fails every operation with STORE_UNAVAILABLE and a cause',
      async () => {
        const down = await unreachable!()
        const record = makeRecord(key('down'))
        const operations: [string, () => Promise<unknown>][] = [
          ['create', () => down.create(record)],
          ['load', () => down.load(record.key)],
          ['save', () => down.save(record, 0)],
          ['delete', () => down.delete(record.key)],
        ]
        for (const [operation, run] of operations) {
          const error = await run().then(
            () => new Error(`${operation} succeeded against an unreachable server`),
            (e: unknown) => e
          )
          expect(isSessionError(error) && error.code, operation).toBe('STORE_UNAVAILABLE')
          expect((error as Error).cause, operation).toBeDefined()
        }
        await down.close?.()
      }
    )

    describeOwnerIndexCases({
      store: () => store,
      key,
      ownerIndexEntries: () => underTest.ownerIndexEntries,
      readCost: () => underTest.readCost,
      makeRecord,
    })

    describe('under the Hono middleware', () => {
      const app = (target: SessionStore) => {
        const hono = sessionApp(counterSession, { store: target })
        hono.get('/count', async (c) => {
          const n = await c.var.session.get('counter')
          await c.var.session.set('counter', n + 1)
          return c.text(String(n))
        })
        hono.get('/peek', async (c) => c.text(String(await c.var.session.get('counter'))))
        hono.post('/login', async (c) => {
          await c.var.session.cycleId()
          return c.text('cycled')
        })
        hono.post('/logout', async (c) => {
          await c.var.session.flush()
          return c.text('flushed')
        })
        return hono
      }

      it('inserts, reads, cycles the id and flushes a session', async () => {
        const jar = new CookieJar(app(store))
        expect(await jar.text('/count')).toBe('0')
        expect(await jar.text('/count')).toBe('1')
        const before = jar.cookies.get('id')!
        const oldKey = recordKeyOf(before.split('.')[0]!)
        expect((await store.load(oldKey))?.data).toEqual({ counter: 2 })

        await jar.fetch('/login', { method: 'POST' })
        const after = jar.cookies.get('id')!
        expect(after).not.toBe(before)
        expect(await store.load(oldKey)).toBeUndefined()
        expect(await jar.text('/peek')).toBe('2')

        const response = await jar.fetch('/logout', { method: 'POST' })
        expect(response.headers.get('set-cookie')).toMatch(/Max-Age=0/)
        expect(await store.load(recordKeyOf(after.split('.')[0]!))).toBeUndefined()
        expect(jar.cookies.has('id')).toBe(false)
        expect(await jar.text('/peek')).toBe('0')
      })
    })
  })
}

import { isSessionError } from '../core/errors.js'
import { expect, it, skippable } from './runner.js'
import { MINUTE, makeRecord, sleep, type ConformanceSuite } from './store-under-test.js'
import { expectCopiedValueStaysUnderItsKey } from './stored-value-copies.js'

/**
 * The record cases of the store conformance suite (DESIGN.md §6): create and its collision,
 * load and expiry, upserts and compare-and-set (50 racing saves of one version), delete, and an
 * unreachable server.
 */
export function describeRecordCases(suite: ConformanceSuite): void {
  const { key } = suite
  const { unreachable, bestEffortCompareAndSet } = suite.options

  it('create inserts and load returns an equal record', async () => {
    const store = suite.store()
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
    const store = suite.store()
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
    const store = suite.store()
    const first = makeRecord(key('taken'), { data: { who: 'first' } })
    expect(await store.create(first)).toBe(true)
    expect(await store.create(makeRecord(first.key, { data: { who: 'second' } }))).toBe(false)
    expect(await store.load(first.key)).toStrictEqual(first)
  })

  it(
    'a stored value copied under another key is the record of that key, and its writes stay there',
    skippable(async (skip) => {
      const copyStoredValue = suite.underTest().copyStoredValue
      if (copyStoredValue === undefined) return skip('no raw copy for this store')
      const original = makeRecord(key('original'), { data: { who: 'original' }, token: 'o' })
      await expectCopiedValueStaysUnderItsKey(suite.store(), copyStoredValue, original, key('copy'))
    })
  )

  it('load of a missing key is undefined', async () => {
    expect(await suite.store().load(key('missing'))).toBeUndefined()
  })

  it('a record whose expiresAt is past is not loaded', async () => {
    const store = suite.store()
    const past = makeRecord(key('past'), { expiresAt: Date.now() - MINUTE })
    expect(await store.create(past)).toBe(true)
    expect(await store.load(past.key)).toBeUndefined()
  })

  it('a record is not loaded once its expiresAt passes, even before a native TTL fires', async () => {
    const store = suite.store()
    const soon = makeRecord(key('soon'), { expiresAt: Date.now() + 300 })
    expect(await store.create(soon)).toBe(true)
    expect(await store.load(soon.key)).toStrictEqual(soon)
    await sleep(400)
    expect(await store.load(soon.key)).toBeUndefined()
  })

  it('save without expectedVersion upserts', async () => {
    const store = suite.store()
    const fresh = makeRecord(key('upsert'), { data: { step: 1 } })
    expect(await store.save(fresh)).toBe(true)
    expect(await store.load(fresh.key)).toStrictEqual(fresh)

    const overwrite = makeRecord(fresh.key, { data: { step: 2 }, version: 7 })
    expect(await store.save(overwrite)).toBe(true)
    expect(await store.load(fresh.key)).toStrictEqual(overwrite)
  })

  it('save with the current version succeeds and bumps the version', async () => {
    const store = suite.store()
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
    const store = suite.store()
    const record = makeRecord(key('stale'))
    await store.create(record)
    const current = { ...record, data: { count: 2 }, version: 1 }
    await store.save(current, 0)
    expect(await store.save({ ...record, data: { count: 99 }, version: 1 }, 0)).toBe(false)
    expect(await store.load(record.key)).toStrictEqual(current)
  })

  it('save with expectedVersion on a missing key returns false and inserts nothing', async () => {
    const store = suite.store()
    const record = makeRecord(key('gone'), { version: 1 })
    expect(await store.save(record, 0)).toBe(false)
    expect(await store.load(record.key)).toBeUndefined()
  })

  const raceTitle =
    bestEffortCompareAndSet === undefined
      ? 'of 50 concurrent saves of one version exactly one wins, with its data'
      : `of 50 concurrent saves of one version exactly one wins (skipped: ${bestEffortCompareAndSet})`
  it.skipIf(bestEffortCompareAndSet !== undefined)(raceTitle, async () => {
    const store = suite.store()
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
    const store = suite.store()
    const record = makeRecord(key('doomed'))
    await store.create(record)
    await store.delete(record.key)
    expect(await store.load(record.key)).toBeUndefined()
    await expect(store.delete(record.key)).resolves.toBeUndefined()
    await expect(store.delete(key('never-existed'))).resolves.toBeUndefined()
    expect(await store.create(makeRecord(record.key))).toBe(true)
  })

  it('create replaces an expired record, and save with expectedVersion does not revive one', async () => {
    const store = suite.store()
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
}

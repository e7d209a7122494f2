import { expect, it, skippable } from './runner.js'
import { MINUTE, inChunks, makeRecord, sleep, type ConformanceSuite } from './store-under-test.js'

/**
 * The cases of the store conformance suite that go over many records: `deleteExpired` (counted
 * exactly on an isolated store) and `scan` (10,000 records, and a scan while the store changes),
 * each skipped for a store without the method.
 */
export function describeListingCases(suite: ConformanceSuite): void {
  const { key } = suite
  const isolated = suite.options.isolated === true

  it(
    'deleteExpired removes only expired records and returns their count',
    skippable(async (skip) => {
      const store = suite.store()
      if (store.deleteExpired === undefined) return skip('the store has no deleteExpired')
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
  )

  it(
    'scan of 10,000 records yields each exactly once and skips expired ones',
    skippable(async (skip) => {
      const store = suite.store()
      if (store.scan === undefined) return skip('the store has no scan')
      const now = Date.now()
      const live = Array.from({ length: 10_000 }, (_, i) => key(`scan-${i}`))
      const expired = Array.from({ length: 20 }, (_, i) => key(`scan-expired-${i}`))
      await inChunks(live, 500, (k) => store.create(makeRecord(k, { data: { k } })))
      await inChunks(expired, 500, (k) => store.create(makeRecord(k, { expiresAt: now - MINUTE })))

      const seen: string[] = []
      let total = 0
      for await (const record of store.scan()) {
        total++
        if (record.key.startsWith(`${suite.prefix()}:`)) {
          seen.push(record.key)
          expect(record.data).toStrictEqual({ k: record.key })
        }
      }
      expect(seen).toHaveLength(live.length)
      expect(new Set(seen)).toStrictEqual(new Set(live))
      if (isolated) expect(total).toBe(live.length)
    })
  )

  it(
    'scan yields every record present throughout exactly once while the store changes',
    skippable(async (skip) => {
      const store = suite.store()
      if (store.scan === undefined) return skip('the store has no scan')
      const original = Array.from({ length: 200 }, (_, i) => key(`mixed-${i}`))
      await Promise.all(original.map((k) => store.create(makeRecord(k))))
      const deleted = new Set(original.filter((_, i) => i % 10 === 9))

      const seen: string[] = []
      let step = 0
      for await (const record of store.scan({ batchSize: 7 })) {
        if (!record.key.startsWith(`${suite.prefix()}:`)) continue
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
  )
}

import { expect } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import { backendCallsPerReturningRequest } from './round-trips.js'
import type { StatementLog } from './sql-read-cost.js'
import { makeRecord } from './store-conformance.js'

// The owner column of the SQL stores beyond the conformance cases: a scan returns it,
// `deleteExpired` sweeps bound rows in bounded batches, their index entries with them, and a
// returning visitor costs the statements it cost before. No Node API here: the D1 tests use it
// inside workerd.

/** A scan (in batches of 2) yields every record with its owner, and none on an unbound one. */
export async function expectScanReturnsOwners(store: SessionStore): Promise<void> {
  const records = [
    makeRecord('scan-a', { owner: ownerKeyOf('ada'), token: 't' }),
    makeRecord('scan-b', { owner: ownerKeyOf('bob') }),
    makeRecord('scan-c'),
    makeRecord('scan-d', { owner: ownerKeyOf('ada') }),
  ]
  for (const record of records) expect(await store.create(record)).toBe(true)
  const scanned: SessionRecord[] = []
  for await (const record of store.scan!({ batchSize: 2 })) scanned.push(record)
  expect(scanned).toStrictEqual(records)
  expect('owner' in scanned[2]!).toBe(false)
}

/** What `expectBoundRowsSweptInBatches` reads: the store's statements and its raw index. */
export interface SweepProbe {
  log: StatementLog
  ownerIndexEntries(owner: string): Promise<number>
}

/**
 * `deleteExpired` on a table of `2 * batchSize + 5` expired bound rows deletes them all, one
 * `DELETE` of at most `batchSize` rows after another (three: two full batches, one short), and
 * takes their owner index entries with them; a live bound row and its entry stay.
 */
export async function expectBoundRowsSweptInBatches(
  store: SessionStore,
  { log, ownerIndexEntries }: SweepProbe,
  batchSize: number
): Promise<void> {
  const [ada, bob] = [ownerKeyOf('ada'), ownerKeyOf('bob')]
  const past = Date.now() - 60_000
  const expired = 2 * batchSize + 5
  for (let from = 0; from < expired; from += 100) {
    const batch = Array.from({ length: Math.min(100, expired - from) }, (_, i) =>
      makeRecord(`expired-${from + i}`, {
        owner: (from + i) % 2 === 0 ? ada : bob,
        expiresAt: past,
      })
    )
    await Promise.all(batch.map((record) => store.create(record)))
  }
  const live = makeRecord('live', { owner: ada })
  await store.create(live)
  expect(await ownerIndexEntries(ada)).toBe(Math.ceil(expired / 2) + 1)

  let deleted = 0
  const statements = await log.during(async () => (deleted = await store.deleteExpired!()))
  expect(deleted).toBe(expired)
  expect(statements.filter(({ sql }) => /^\s*DELETE\b/i.test(sql))).toHaveLength(3)
  expect(await ownerIndexEntries(ada)).toBe(1)
  expect(await ownerIndexEntries(bob)).toBe(0)
  expect(await store.listOwner!(ada)).toStrictEqual([live])
}

/**
 * A returning visitor costs two statements a request through the middleware, a `SELECT` and a
 * conditional `UPDATE`, whether its session is bound to a user or not: the owner and its index
 * entry are written by the `UPDATE` that writes the row, never by a statement of their own.
 */
export async function expectReturningVisitorStatements(
  store: SessionStore,
  log: StatementLog
): Promise<void> {
  for (const boundTo of [undefined, `user-${crypto.randomUUID()}`]) {
    let result: { perRequest: number; counter: string } | undefined
    const statements = await log.during(async () => {
      result = await backendCallsPerReturningRequest(store, () => log.total, 10, boundTo)
    })
    expect(result).toStrictEqual({ perRequest: 2, counter: '11' })
    const verbs = statements.map(({ sql }) => sql.trim().split(/\s/)[0]?.toUpperCase())
    expect(verbs.slice(-2)).toStrictEqual(['SELECT', 'UPDATE'])
    if (boundTo !== undefined) {
      expect((await store.listOwner!(ownerKeyOf(boundTo))).map(({ data }) => data)).toStrictEqual([
        { counter: 11 },
      ])
    }
  }
}

import { describe, expect, it, type TestContext } from 'vitest'
import { z } from 'zod'
import { defineSession, recordKeyOf } from 'typed-sessions'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import { CookieJar, sessionApp } from './http.js'
import { idOfCookie } from './stores.js'

/** What the owner-index cases need from the conformance suite around them. */
export interface OwnerIndexSuite {
  /** The store of the running test. */
  store(): SessionStore
  /** A record key unique to the running test. */
  key(suffix: string | number): string
  /** See `StoreUnderTest.ownerIndexEntries`. */
  ownerIndexEntries(): ((owner: string) => Promise<number>) | undefined
  /** See `StoreUnderTest.readCost`. */
  readCost(): ((run: () => Promise<unknown>) => Promise<number>) | undefined
  /** A record with the suite's defaults. */
  makeRecord(key: string, overrides?: Partial<SessionRecord>): SessionRecord
}

const MINUTE = 60_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const userSession = defineSession(z.object({ user: z.string().optional() }))

/**
 * An app that binds at login (`cycleId`, then `bind`) and unbinds at logout, on `store`; each
 * `delete` the engine sends the store first records what `listOwner(owner)` lists then, while
 * the marker a login or a logout leaves still stands.
 */
function bindingApp(store: SessionStore, owner: () => string) {
  const listedAtDelete: string[][] = []
  const watching: SessionStore = {
    create: (record, options) => store.create(record, options),
    load: (key) => store.load(key),
    save: (record, expected) => store.save(record, expected),
    async delete(key) {
      listedAtDelete.push((await store.listOwner!(owner())).map((record) => record.key))
      return store.delete(key)
    },
    listOwner: (key) => store.listOwner!(key),
  }
  const app = sessionApp(userSession, { store: watching })
  app.post('/visit', async (c) => (await c.var.session.set('user', 'visitor'), c.text('ok')))
  app.post('/login/:id', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('user', c.req.param('id'))
    await c.var.session.bind(c.req.param('id'))
    return c.text('ok')
  })
  app.post('/relogin', async (c) => (await c.var.session.cycleId(), c.text('ok')))
  app.post('/logout', async (c) => (await c.var.session.flush(), c.text('ok')))
  app.post('/forget', async (c) => (await c.var.session.clear(), c.text('ok')))
  return { app, listedAtDelete }
}

/**
 * The owner-index cases of the store conformance suite (DESIGN.md §12, `SessionStore.listOwner`),
 * skipped for a store without `listOwner`: binding and listing, re-binding and unbinding,
 * deletion, expiry, no entry outliving its record, and a listing that costs what the owner has.
 */
export function describeOwnerIndexCases(suite: OwnerIndexSuite): void {
  const { key, makeRecord } = suite

  describe('owner index', () => {
    describe('under the Hono middleware', () => {
      const keyOfCookie = (jar: CookieJar) => recordKeyOf(idOfCookie(jar.cookies.get('id')!))

      it('a login binds the session, cycleId carries it, a logout and a clear end the entry', async (context) => {
        const listOwner = listOwnerOf(context)
        const userId = key('ada')
        const owner = ownerKeyOf(userId)
        const { app } = bindingApp(suite.store(), () => owner)
        const first = new CookieJar(app)
        const second = new CookieJar(app)
        for (const jar of [first, second]) {
          await jar.fetch('/visit', { method: 'POST' })
          await jar.fetch(`/login/${encodeURIComponent(userId)}`, { method: 'POST' })
        }
        expect(keysOf(await listOwner(owner))).toEqual(
          [keyOfCookie(first), keyOfCookie(second)].sort()
        )

        await first.fetch('/relogin', { method: 'POST' })
        expect(keysOf(await listOwner(owner))).toEqual(
          [keyOfCookie(first), keyOfCookie(second)].sort()
        )
        expect((await listOwner(owner)).every((record) => record.owner === owner)).toBe(true)

        await first.fetch('/logout', { method: 'POST' })
        expect(keysOf(await listOwner(owner))).toEqual([keyOfCookie(second)])
        await second.fetch('/forget', { method: 'POST' })
        expect(await listOwner(owner)).toEqual([])
      })

      it('no listing shows the marker a login or a logout leaves while it stands', async (context) => {
        const listOwner = listOwnerOf(context)
        const userId = key('ada')
        const owner = ownerKeyOf(userId)
        const { app, listedAtDelete } = bindingApp(suite.store(), () => owner)
        const jar = new CookieJar(app)
        await jar.fetch(`/login/${encodeURIComponent(userId)}`, { method: 'POST' })
        const loggedIn = keyOfCookie(jar)
        await jar.fetch('/relogin', { method: 'POST' }) // the old record is a moved marker, then deleted
        const relogged = keyOfCookie(jar)
        await jar.fetch('/logout', { method: 'POST' }) // a flushed marker, then deleted
        expect(listedAtDelete).toEqual([[relogged], []])
        expect(loggedIn).not.toBe(relogged)
        expect(await listOwner(owner)).toEqual([])
      })
    })

    /** The store's `listOwner`, or a skip of the test for a store without one. */
    const listOwnerOf = (context: TestContext) => {
      const store = suite.store()
      if (store.listOwner === undefined) context.skip('the store has no owner index (listOwner)')
      return (owner: string) => store.listOwner!(owner)
    }
    const keysOf = (records: SessionRecord[]) => records.map((record) => record.key).sort()
    const ownerOf = (name: string) => ownerKeyOf(`${key(name)}`)

    it('listOwner lists the live records bound to an owner, each once, as load returns them', async (context) => {
      const listOwner = listOwnerOf(context)
      const store = suite.store()
      const [ada, bob] = [ownerOf('ada'), ownerOf('bob')]
      const created = makeRecord(key('a1'), { owner: ada, token: 't1', data: { n: 1 } })
      const upserted = makeRecord(key('a2'), {
        owner: ada,
        expiry: { kind: 'onInactivity', seconds: 1800 },
      })
      expect(await store.create(created)).toBe(true)
      expect(await store.save(upserted)).toBe(true)
      expect(await store.create(makeRecord(key('b1'), { owner: bob }))).toBe(true)
      expect(await store.create(makeRecord(key('none')))).toBe(true)

      const listed = await listOwner(ada)
      expect(keysOf(listed)).toEqual([created.key, upserted.key].sort())
      for (const record of listed) expect(record).toStrictEqual(await store.load(record.key))
      expect(await store.load(created.key)).toStrictEqual(created)
      if (store.scan !== undefined) {
        let scanned: SessionRecord | undefined
        for await (const record of store.scan()) if (record.key === created.key) scanned = record
        expect(scanned).toStrictEqual(created)
      }
      expect(keysOf(await listOwner(bob))).toEqual([key('b1')])
      expect(await listOwner(ownerOf('nobody'))).toEqual([])
      expect('owner' in (await store.load(key('none')))!).toBe(false)

      // Fresh objects: changing a listed record changes nothing stored.
      const first = listed.find((record) => record.key === created.key)!
      first.data['n'] = 2
      first.owner = bob
      expect(await store.load(created.key)).toStrictEqual(created)
    })

    it('a save that re-binds or unbinds a record moves its entry; a refused save moves nothing', async (context) => {
      const listOwner = listOwnerOf(context)
      const store = suite.store()
      const entries = suite.ownerIndexEntries()
      const [ada, bob] = [ownerOf('ada'), ownerOf('bob')]
      const record = makeRecord(key('moving'), { owner: ada })
      await store.create(record)

      expect(await store.save({ ...record, owner: bob, version: 1 }, 0)).toBe(true)
      expect(await listOwner(ada)).toEqual([])
      expect(keysOf(await listOwner(bob))).toEqual([record.key])

      // A stale compare-and-set that would re-bind it back is refused, and the index stays.
      expect(await store.save({ ...record, owner: ada, version: 1 }, 0)).toBe(false)
      expect(await listOwner(ada)).toEqual([])
      expect(keysOf(await listOwner(bob))).toEqual([record.key])

      const unbound: SessionRecord = { ...record, version: 2 }
      delete unbound.owner
      expect(await store.save(unbound, 1)).toBe(true)
      expect(await listOwner(bob)).toEqual([])
      expect('owner' in (await store.load(record.key))!).toBe(false)
      if (entries !== undefined) {
        expect(await entries(ada)).toBe(0)
        expect(await entries(bob)).toBe(0)
      }

      // An upsert binds it again.
      expect(await store.save({ ...record, owner: ada, version: 3 })).toBe(true)
      expect(keysOf(await listOwner(ada))).toEqual([record.key])
      if (entries !== undefined) expect(await entries(ada)).toBe(1)
    })

    it("a deleted record leaves its owner's listing and index", async (context) => {
      const listOwner = listOwnerOf(context)
      const store = suite.store()
      const entries = suite.ownerIndexEntries()
      const ada = ownerOf('ada')
      const doomed = makeRecord(key('doomed'), { owner: ada })
      const kept = makeRecord(key('kept'), { owner: ada })
      await store.create(doomed)
      await store.create(kept)
      await store.delete(doomed.key)
      expect(keysOf(await listOwner(ada))).toEqual([kept.key])
      if (entries !== undefined) expect(await entries(ada)).toBe(1)

      // The key reused for an unbound record is not listed either.
      expect(await store.create(makeRecord(doomed.key))).toBe(true)
      expect(keysOf(await listOwner(ada))).toEqual([kept.key])
    })

    it('an expired record is never listed, even before deleteExpired or a native TTL removes it', async (context) => {
      const listOwner = listOwnerOf(context)
      const store = suite.store()
      const [ada, bob] = [ownerOf('ada'), ownerOf('bob')]
      const now = Date.now()
      const past = makeRecord(key('past'), { owner: ada, expiresAt: now - MINUTE })
      const soon = makeRecord(key('soon'), { owner: ada, expiresAt: now + 300 })
      const live = makeRecord(key('live'), { owner: ada })
      for (const record of [past, soon, live]) expect(await store.create(record)).toBe(true)
      expect(keysOf(await listOwner(ada))).toEqual([live.key, soon.key].sort())
      await sleep(400)
      expect(keysOf(await listOwner(ada))).toEqual([live.key])

      // A record created over an expired one is listed under its own owner only.
      expect(await store.create(makeRecord(past.key, { owner: bob }))).toBe(true)
      expect(keysOf(await listOwner(ada))).toEqual([live.key])
      expect(keysOf(await listOwner(bob))).toEqual([past.key])
    })

    it("deleteExpired or the store's own TTL leaves nothing of an expired record's index entry", async (context) => {
      const listOwner = listOwnerOf(context)
      const store = suite.store()
      const entries = suite.ownerIndexEntries()
      if (entries === undefined) {
        return context.skip(
          "no raw view of this store's index (ownerIndexEntries): its own tests must show that deleteExpired or its TTL removes expired entries"
        )
      }
      const ada = ownerOf('ada')
      const now = Date.now()
      for (let i = 0; i < 3; i++) {
        await store.create(makeRecord(key(`expiring-${i}`), { owner: ada, expiresAt: now + 300 }))
      }
      const live = makeRecord(key('live'), { owner: ada })
      await store.create(live)
      await sleep(400)
      await store.deleteExpired?.()
      expect(await entries(ada)).toBe(1)
      expect(keysOf(await listOwner(ada))).toEqual([live.key])
    })

    it('listOwner costs what the owner has, not what the store holds', async (context) => {
      const listOwner = listOwnerOf(context)
      const store = suite.store()
      const readCost = suite.readCost()
      if (readCost === undefined) {
        return context.skip(
          "no measure of this store's reads (readCost): its own tests must show that listOwner uses its index"
        )
      }
      const ada = ownerOf('ada')
      const mine = [0, 1, 2].map((i) => makeRecord(key(`mine-${i}`), { owner: ada }))
      for (const record of mine) await store.create(record)
      const others = (from: number, count: number) =>
        Array.from({ length: count }, (_, i) =>
          makeRecord(key(`other-${from + i}`), {
            ...((from + i) % 2 === 0 ? { owner: ownerOf(`user-${(from + i) % 200}`) } : {}),
          })
        )
      const create = (records: SessionRecord[]) =>
        Promise.all(records.map((record) => store.create(record)))
      await create(others(0, 10))
      let listed: SessionRecord[] = []
      const few = await readCost(async () => (listed = await listOwner(ada)))
      expect(keysOf(listed)).toEqual(keysOf(mine))

      for (let from = 10; from < 2010; from += 250) await create(others(from, 250))
      const many = await readCost(async () => (listed = await listOwner(ada)))
      expect(keysOf(listed)).toEqual(keysOf(mine))
      expect(many).toBeLessThanOrEqual(few)
    })
  })
}

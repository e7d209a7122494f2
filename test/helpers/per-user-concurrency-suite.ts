import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { handleOf, ownerKeyOf, recordKeyOf } from 'typed-sessions'
import type { SessionRecord, SessionStore } from 'typed-sessions'
import type { WhenFull } from 'typed-sessions/auth'
import { gate } from './concurrency-suite.js'
import { loggedIn, perUserApp } from './per-user-app.js'
import type { CookieJar } from './http.js'
import type { StoreUnderTest } from './store-conformance.js'
import { deferred, idOfCookie } from './stores.js'

/**
 * `store`, with two hooks for staging races: every record created bound to an owner is kept in
 * `created`, and `holdNextListing()` makes the next `listOwner` hold its answer (computed
 * already) until the returned `release` is called.
 */
function stagedStore(store: SessionStore) {
  const created: SessionRecord[] = []
  let held: { arrived: () => void; release: Promise<void> } | undefined
  const staged: SessionStore = {
    inProcess: store.inProcess === true,
    create: (record, options) => {
      if (record.owner !== undefined) created.push(record)
      return store.create(record, options)
    },
    load: (key) => store.load(key),
    save: (record, expected) => store.save(record, expected),
    delete: (key) => store.delete(key),
    async listOwner(owner) {
      const records = await store.listOwner!(owner)
      const hold = held
      held = undefined
      if (hold !== undefined) {
        hold.arrived()
        await hold.release
      }
      return records
    },
  }
  const holdNextListing = () => {
    const arrived = deferred()
    const release = deferred()
    held = { arrived: () => arrived.resolve(), release: release.promise }
    return { arrived: arrived.promise, release: () => release.resolve() }
  }
  return { store: staged, created, holdNextListing }
}

const keyOf = (jar: CookieJar) => recordKeyOf(idOfCookie(jar.cookies.get('id')!))
const post = (jar: CookieJar, path: string) => jar.fetch(path, { method: 'POST' })

/**
 * Sessions per user under races (DESIGN.md §12, "logout wins"), through the middleware and
 * `typed-sessions/auth`, each race forced by a gate: login racing logout, revoke racing a write,
 * revoke racing a `cycleId`, and 20 concurrent logins of one user with `limit: 3` under both
 * policies. Every store with an owner index (`listOwner`) runs it.
 * @example describePerUserConcurrency('RedisStore', async () => ({ store: new RedisStore(client) }))
 */
export function describePerUserConcurrency(
  name: string,
  setup: () => Promise<StoreUnderTest> | StoreUnderTest,
  options: { skipReason?: string | undefined } = {}
): void {
  const { skipReason } = options
  const title =
    skipReason === undefined
      ? `${name} sessions per user under races`
      : `${name} sessions per user under races (skipped: ${skipReason})`

  describe.skipIf(skipReason !== undefined)(title, () => {
    let store: SessionStore
    let cleanup: (() => Promise<void>) | undefined
    beforeEach(async () => {
      const underTest = await setup()
      store = underTest.store
      cleanup = underTest.cleanup
    })
    afterEach(async () => {
      await cleanup?.()
    })

    /** A fresh user id per test: stores on a shared server hold other runs' sessions. */
    const newUser = () => `user-${crypto.randomUUID()}`

    /**
     * An app with a new user whose `route` ('login' or 'count') can be held once loaded:
     * `race(request, meanwhile)` starts `request`, runs `meanwhile` while it is held, then lets
     * it go on and returns its response.
     */
    const appHolding = (route: 'login' | 'count', appStore = store) => {
      const { hold, allArrived, release } = gate(1)
      let armed = false
      const made = perUserApp({
        store: appStore,
        hold: async (at) => void (armed && at === route && (await hold())),
      })
      const userId = made.addUser(newUser())
      const race = async (request: () => Promise<Response>, meanwhile: () => Promise<void>) => {
        armed = true
        const pending = request()
        await allArrived
        armed = false
        await meanwhile()
        release()
        return pending
      }
      return { made, userId, race }
    }

    it.each([
      ['a visitor', false],
      ['a logged-in browser', true],
    ])('a login racing a logout on %s leaves no session of the user', async (_, before) => {
      const { made, userId, race } = appHolding('login')
      const jar = before ? await loggedIn(made, userId) : made.jar()
      if (!before) await post(jar, '/count')
      const cookie = jar.cookies.get('id')!
      const response = await race(
        () => post(jar, `/login/${userId}`),
        async () => {
          const logout = await post(jar, '/logout')
          expect(logout.headers.get('set-cookie')).toMatch(/Max-Age=0/)
        }
      )
      expect(response.status).toBe(200)
      expect(response.headers.get('set-cookie')).toMatch(/Max-Age=0/)
      expect(await made.auth.sessionsOf(store, userId)).toEqual([])
      expect(await store.listOwner!(ownerKeyOf(userId))).toEqual([])
      expect(await store.load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
    })

    it('a revoke racing a write wins: the write is dropped and the session reads as logged out', async () => {
      const { made, userId, race } = appHolding('count')
      const phone = await loggedIn(made, userId)
      const laptop = await loggedIn(made, userId)
      const revoke = async () =>
        expect(await (await post(laptop, `/revoke/${handleOf(keyOf(phone))}`)).json()).toBe(true)
      const written = await race(() => post(phone, '/count'), revoke)
      expect(written.status).toBe(200)
      expect(written.headers.get('set-cookie')).toMatch(/Max-Age=0/)
      expect(await store.load(keyOf(laptop))).toBeDefined()
      expect(await phone.text('/me')).toBe('nobody')
      expect((await made.auth.sessionsOf(store, userId)).map((info) => info.handle)).toEqual([
        handleOf(keyOf(laptop)),
      ])
    })

    it('a revoke racing a cycleId held after its load wins: the login creates no session', async () => {
      const { made, userId, race } = appHolding('login')
      const phone = await loggedIn(made, userId)
      const laptop = await loggedIn(made, userId)
      const revoke = async () =>
        expect(await (await post(laptop, `/revoke/${handleOf(keyOf(phone))}`)).json()).toBe(true)
      const relogin = await race(() => post(phone, `/login/${userId}`), revoke)
      expect(relogin.headers.get('set-cookie')).toMatch(/Max-Age=0/)
      expect(await phone.text('/me')).toBe('nobody')
      expect((await made.auth.sessionsOf(store, userId)).length).toBe(1)
    })

    it('a revoke that listed the session before a cycleId moved it follows the move and ends it', async () => {
      const userId = newUser()
      const staged = stagedStore(store)
      const made = perUserApp({ store: staged.store })
      made.addUser(userId)
      const phone = await loggedIn(made, userId)
      const laptop = await loggedIn(made, userId)
      const listing = staged.holdNextListing()
      const revoke = post(laptop, `/revoke/${handleOf(keyOf(phone))}`)
      await listing.arrived // the revoke has its (soon stale) list
      const oldKey = keyOf(phone)
      expect((await post(phone, `/login/${userId}`)).status).toBe(200) // moves to a new id
      expect(keyOf(phone)).not.toBe(oldKey)
      listing.release()
      expect(await (await revoke).json()).toBe(true)
      expect(await store.load(keyOf(phone))).toBeUndefined()
      expect(await phone.text('/me')).toBe('nobody')
      expect(await laptop.text('/me')).toBe(userId)
    })

    for (const whenFull of ['end-oldest', 'refuse'] as const satisfies readonly WhenFull[]) {
      /** 20 browsers logging in as one new user with limit 3, held once loaded; what came of it. */
      const twentyLogins = async (releaseAll: boolean) => {
        const userId = newUser()
        const logins = 20
        const staged = stagedStore(store)
        const { hold, allArrived, release, releaseOne } = gate(logins)
        const made = perUserApp({
          store: staged.store,
          sessionsPerUser: { limit: 3, whenFull },
          hold: async (route) => void (route === 'login' && (await hold())),
          middleware: { conflictTimeout: 10_000 },
        })
        made.addUser(userId)
        const jars = Array.from({ length: logins }, () => made.jar())
        const responses = jars.map((jar) => post(jar, `/login/${userId}`))
        await allArrived
        if (releaseAll) release()
        const statuses: number[] = []
        for (let i = 0; i < logins; i++) {
          if (!releaseAll) releaseOne(i)
          statuses.push((await responses[i]!).status)
        }
        expect(statuses.every((status) => status === 200 || status === 409)).toBe(true)
        const live = await made.auth.sessionsOf(store, userId)
        expect(live.length).toBeLessThanOrEqual(3)
        // Each browser is logged in exactly when its session is one of the live ones.
        const liveHandles = new Set(live.map((info) => info.handle))
        for (const jar of jars) {
          const isLive = jar.cookies.has('id') && liveHandles.has(handleOf(keyOf(jar)))
          expect(await jar.text('/me')).toBe(isLive ? userId : 'nobody')
        }
        const loginAt = (record: SessionRecord) =>
          (record.data['$session'] as { loginAt: number }).loginAt
        const newest = [...staged.created]
          .sort((a, b) => loginAt(b) - loginAt(a) || (a.key < b.key ? 1 : -1))
          .slice(0, 3)
          .map((record) => handleOf(record.key))
        return { statuses, live, newest }
      }

      it(`20 concurrent logins of one user with limit 3 and '${whenFull}' leave at most 3 live sessions`, async () => {
        const { statuses, live, newest } = await twentyLogins(true)
        expect(statuses.filter((status) => status === 200).length).toBe(live.length)
        // With 'end-oldest' the newest three (by login time, then record key) survive; 'refuse'
        // may refuse more than needed when all save before any lists, never admit a fourth.
        if (whenFull === 'end-oldest') {
          expect(live.map((info) => info.handle).sort()).toEqual([...newest].sort())
        }
      })

      it(`20 logins of one user released one after the other with limit 3 and '${whenFull}' keep exactly 3`, async () => {
        const { statuses, live, newest } = await twentyLogins(false)
        expect(live.length).toBe(3)
        if (whenFull === 'end-oldest') {
          expect(live.map((info) => info.handle).sort()).toEqual([...newest].sort())
        }
        const admitted = whenFull === 'end-oldest' ? 20 : 3
        expect(statuses.filter((status) => status === 200).length).toBe(admitted)
        // With 'refuse' the first three are let in (and so, being logged in, are the live ones).
        if (whenFull === 'refuse') expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
      })
    }
  })
}

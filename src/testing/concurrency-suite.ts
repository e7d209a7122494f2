import { recordKeyOf } from '../core/session-id.js'
import type { SessionRecord, SessionStore } from '../core/store.js'
import { idOfCookie, sessionCookie } from './cookie-jar.js'
import { gate } from './gate.js'
import { postAll, raceApp, recordingKeys, startSession, type RaceApp } from './race-app.js'
import { describe, expect, it } from './runner.js'
import { suiteTitle, type StoreUnderTest } from './store-under-test.js'
import { eachStoreUnderTest } from './each-store.js'

/** Options of `describeConcurrency`. */
export interface ConcurrencyOptions {
  /** Skip the whole suite, saying why (e.g. "no Redis server on this machine"). */
  skipReason?: string | undefined
  /** How many requests race on one session in the largest race. @default 50 */
  requests?: number
}

/**
 * The concurrency behaviours of DESIGN.md §8, through the Hono middleware on one store:
 * racing updates all count, logout wins over racing writes and logins, a lost reply is never
 * applied twice, each race forced by holding requests at a gate. Every store with an atomic
 * compare-and-set runs it. `setup` runs before each test and `cleanup` after it.
 * @example describeConcurrency('RedisStore', async () => ({ store: new RedisStore(client) }))
 */
export function describeConcurrency(
  name: string,
  setup: () => Promise<StoreUnderTest> | StoreUnderTest,
  options: ConcurrencyOptions = {}
): void {
  const { skipReason, requests = 50 } = options
  const title = suiteTitle(name, 'concurrency', skipReason)

  describe.skipIf(skipReason !== undefined)(title, () => {
    const current = eachStoreUnderTest(name, setup)
    const store = () => current().store

    const read = async (app: RaceApp, cookie: string) =>
      (await app.request('/read', { headers: { Cookie: `id=${cookie}` } })).json()

    it(`${requests} concurrent updates of one key all answer 200 and all count`, async () => {
      const app = raceApp(store())
      const cookie = await startSession(app)
      const responses = await postAll(app, cookie, requests, () => '/increment')
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200))
      // `update` returns what `fn` computed when the handler called it; replays only reach the store.
      for (const value of await Promise.all(responses.map((r) => r.json()))) {
        expect(value).toBeGreaterThanOrEqual(1)
      }
      expect((await read(app, cookie)).counter).toBe(requests)
    })

    it('concurrent appends to a list and entries of a record all land', async () => {
      const app = raceApp(store())
      const cookie = await startSession(app)
      const count = Math.min(requests, 30)
      const responses = await postAll(app, cookie, count, (i) => `/append/item${i}`)
      expect(responses.every((r) => r.status === 200)).toBe(true)
      const state = await read(app, cookie)
      expect([...state.items].sort()).toEqual(
        Array.from({ length: count }, (_, i) => `item${i}`).sort()
      )
      expect(Object.keys(state.entries)).toHaveLength(count)
      expect(state.user).toBe('ada')
    })

    it('logout wins: requests that loaded the session before it was flushed save nothing', async () => {
      const racers = 5
      const { hold, allArrived, release } = gate(racers)
      const app = raceApp(store(), hold)
      const cookie = await startSession(app)
      const racing = postAll(app, cookie, racers, () => '/increment')
      await allArrived
      const logout = await app.request('/logout', {
        method: 'POST',
        headers: { Cookie: `id=${cookie}` },
      })
      expect(sessionCookie(logout)?.attributes['max-age']).toBe('0')
      release()
      for (const response of await racing) {
        expect(response.status).toBe(200)
        // No racer creates a session or keeps the browser on one: each removes the cookie.
        expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
      }
      expect(await store().load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
    })

    it('logout wins over a racing login: the cycled session is not created', async () => {
      const { hold, allArrived, release } = gate(1)
      const app = raceApp(store(), hold)
      const cookie = await startSession(app)
      const login = app.request('/login', { method: 'POST', headers: { Cookie: `id=${cookie}` } })
      await allArrived
      await app.request('/logout', { method: 'POST', headers: { Cookie: `id=${cookie}` } })
      release()
      const response = await login
      expect(response.status).toBe(200)
      expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
      expect(await store().load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
    })

    it.each([
      ['/logout', 'without reading it'],
      ['/logout?read', 'after reading it'],
    ])(
      'a logout (%s) from a request still holding the old cookie, %s, ends the logged-in session',
      async (logout) => {
        const app = raceApp(store())
        const cookie = await startSession(app)
        const headers = { Cookie: `id=${cookie}` }
        const loggedIn = sessionCookie(
          await app.request('/login', { method: 'POST', headers })
        )!.value
        expect(loggedIn).not.toBe(cookie)
        expect(await store().load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
        // e.g. a second tab that has not seen the new cookie: the move is followed.
        const out = await app.request(logout, { method: 'POST', headers })
        expect(out.status).toBe(200)
        expect(sessionCookie(out)?.attributes['max-age']).toBe('0')
        expect(await store().load(recordKeyOf(idOfCookie(loggedIn)))).toBeUndefined()
        expect((await read(app, loggedIn)).user).toBeNull()
      }
    )

    it('writes racing a login are dropped without touching the cookie', async () => {
      const racers = 3
      const { hold, allArrived, release } = gate(racers + 1)
      const app = raceApp(store(), hold)
      const cookie = await startSession(app)
      const headers = { Cookie: `id=${cookie}` }
      const login = app.request('/login', { method: 'POST', headers })
      const writers = postAll(app, cookie, racers, () => '/increment')
      await allArrived
      release()
      const loggedIn = sessionCookie(await login)!.value
      for (const response of await writers) {
        expect(response.status).toBe(200)
        const set = sessionCookie(response)
        // Either saved before the move (its cookie is the old one, re-sent) or left alone.
        if (set !== undefined) expect(set.value).toBe(cookie)
      }
      const state = await read(app, loggedIn)
      expect(state.user).toBe('grace')
      expect(await store().load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
    })

    for (const order of ['one after the other', 'at once'] as const) {
      it(`two logins racing on one cookie, released ${order}, end on one logged-in session and orphan none`, async () => {
        // A double-clicked login form: both requests loaded the same session before either saved.
        const { hold, allArrived, release, releaseOne } = gate(2)
        const { store: recording, keys } = recordingKeys(store())
        const app = raceApp(recording, hold)
        const cookie = await startSession(app)
        const headers = { Cookie: `id=${cookie}` }
        const logins = [0, 1].map(() => app.request('/login', { method: 'POST', headers }))
        await allArrived
        if (order === 'one after the other') {
          releaseOne(0)
          await Promise.race(logins) // the first login is done before the second one saves
          releaseOne(1)
        } else {
          release()
        }
        const responses = await Promise.all(logins)
        expect(responses.map((r) => r.status)).toEqual([200, 200])
        // The browser keeps whichever Set-Cookie it gets last: each must be the logged-in session.
        const cookies = responses.flatMap((r) => sessionCookie(r) ?? [])
        expect(cookies.length).toBeGreaterThan(0)
        const sessions = []
        for (const key of keys) {
          const record = await store().load(key)
          if (record?.data['user'] !== undefined) sessions.push(record)
        }
        expect(sessions.map((record) => record.data['user'])).toEqual(['grace'])
        for (const set of cookies) {
          expect(set.attributes['max-age']).not.toBe('0')
          expect(recordKeyOf(idOfCookie(set.value))).toBe(sessions[0]!.key)
          expect((await read(app, set.value)).user).toBe('grace')
        }
      })
    }

    it('a save whose reply was lost is not applied twice', async () => {
      // The first compare-and-set commits, then answers false: what a driver that retries a
      // committed write after its connection died reports.
      let lose = true
      const lossy: SessionStore = {
        create: (record) => store().create(record),
        load: (key) => store().load(key),
        delete: (key) => store().delete(key),
        async save(record: SessionRecord, expectedVersion?: number) {
          const saved = await store().save(record, expectedVersion)
          if (saved && lose && expectedVersion !== undefined) {
            lose = false
            return false
          }
          return saved
        },
      }
      const app = raceApp(lossy)
      const cookie = await startSession(app)
      const response = await app.request('/increment', {
        method: 'POST',
        headers: { Cookie: `id=${cookie}` },
      })
      expect(response.status).toBe(200)
      expect(lose).toBe(false)
      expect((await read(app, cookie)).counter).toBe(1)
    })
  })
}

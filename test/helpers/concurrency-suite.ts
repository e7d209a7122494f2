import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, recordKeyOf } from 'typed-sessions'
import type { SessionRecord, SessionStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { SECRET, sessionCookie } from './http.js'
import { deferred, idOfCookie } from './stores.js'
import type { StoreUnderTest } from './store-conformance.js'

/** A session with the shapes users race on: a counter, a list, a record of entries, a user. */
export const raceSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    items: z.array(z.string()).default([]),
    entries: z.record(z.string(), z.number()).default({}),
    user: z.string().optional(),
  })
)

type RaceEnv = SessionEnv<typeof raceSession>

/**
 * The routes of the concurrency suite. `hold` parks a request after it loaded the session
 * until the test releases it, so a race is staged instead of hoped for.
 */
export function raceApp(store: SessionStore, hold?: () => Promise<void>) {
  const app = new Hono<RaceEnv>()
  app.use(sessionMiddleware(raceSession, { secret: SECRET, store, conflictTimeout: 10_000 }))
  app.onError((error, c) => c.text(`${error.name}: ${error.message}`, 500))
  const held = async (c: { var: RaceEnv['Variables'] }) => {
    await c.var.session.get('counter')
    await hold?.()
  }
  app.post('/start', async (c) => {
    await c.var.session.set('user', 'ada')
    return c.text('ok')
  })
  app.post('/increment', async (c) => {
    await held(c)
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  app.post('/append/:item', async (c) => {
    await held(c)
    const item = c.req.param('item')
    await c.var.session.update('items', (items) => [...items, item])
    await c.var.session.update('entries', (entries) => ({ ...entries, [item]: item.length }))
    return c.text('ok')
  })
  app.post('/login', async (c) => {
    await held(c)
    await c.var.session.cycleId()
    await c.var.session.set('user', 'grace')
    return c.text('ok')
  })
  app.post('/logout', async (c) => {
    // A logout page that shows who is logging out reads the session first.
    if (c.req.query('read') !== undefined) await c.var.session.get('user')
    await c.var.session.flush()
    return c.text('ok')
  })
  app.get('/read', async (c) => {
    const session = c.var.session
    return c.json({
      counter: await session.get('counter'),
      items: await session.get('items'),
      entries: await session.get('entries'),
      user: (await session.get('user')) ?? null,
    })
  })
  return app
}

type RaceApp = ReturnType<typeof raceApp>

/** Starts a session on `app`; returns its cookie value. */
export async function startSession(app: RaceApp): Promise<string> {
  const response = await app.request('/start', { method: 'POST' })
  expect(response.status).toBe(200)
  return sessionCookie(response)!.value
}

/** `count` POSTs of `path(i)` with the cookie, all at once. */
export function postAll(app: RaceApp, cookie: string, count: number, path: (i: number) => string) {
  const headers = { Cookie: `id=${cookie}` }
  return Promise.all(
    Array.from({ length: count }, (_, i) => app.request(path(i), { method: 'POST', headers }))
  )
}

/**
 * Holds requests once they loaded the session, until `release` lets them all go on, or
 * `releaseOne(i)` only the i-th to arrive; `allArrived` resolves when `count` are held.
 */
export function gate(count: number) {
  const all = deferred()
  const released = deferred()
  const turns: (() => void)[] = []
  let arrived = 0
  return {
    hold: async () => {
      if (++arrived === count) all.resolve()
      const turn = deferred()
      turns.push(turn.resolve)
      await Promise.race([released.promise, turn.promise])
    },
    allArrived: all.promise,
    release: () => released.resolve(),
    releaseOne: (index: number) => turns[index]!(),
  }
}

/** `store`, with the key of every record the engine asks it to create or save kept in `keys`. */
function recordingKeys(store: SessionStore): { store: SessionStore; keys: Set<string> } {
  const keys = new Set<string>()
  const recording: SessionStore = {
    inProcess: store.inProcess === true,
    create: (record, options) => (keys.add(record.key), store.create(record, options)),
    save: (record, version) => (keys.add(record.key), store.save(record, version)),
    load: (key) => store.load(key),
    delete: (key) => store.delete(key),
  }
  return { store: recording, keys }
}

/**
 * The concurrency behaviours of DESIGN.md §8, through the Hono middleware on one store:
 * racing updates all count, logout wins over racing writes and logins, a lost reply is never
 * applied twice. Every store with compare-and-set runs it.
 * @example describeConcurrency('RedisStore', async () => ({ store: new RedisStore(client) }))
 */
export function describeConcurrency(
  name: string,
  setup: () => Promise<StoreUnderTest> | StoreUnderTest,
  options: { skipReason?: string | undefined; requests?: number } = {}
): void {
  const { skipReason, requests = 50 } = options
  const title =
    skipReason === undefined
      ? `${name} concurrency`
      : `${name} concurrency (skipped: ${skipReason})`

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

    const read = async (app: RaceApp, cookie: string) =>
      (await app.request('/read', { headers: { Cookie: `id=${cookie}` } })).json()

    it(`${requests} concurrent updates of one key all answer 200 and all count`, async () => {
      const app = raceApp(store)
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
      const app = raceApp(store)
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
      const app = raceApp(store, hold)
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
      expect(await store.load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
    })

    it('logout wins over a racing login: the cycled session is not created', async () => {
      const { hold, allArrived, release } = gate(1)
      const app = raceApp(store, hold)
      const cookie = await startSession(app)
      const login = app.request('/login', { method: 'POST', headers: { Cookie: `id=${cookie}` } })
      await allArrived
      await app.request('/logout', { method: 'POST', headers: { Cookie: `id=${cookie}` } })
      release()
      const response = await login
      expect(response.status).toBe(200)
      expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
      expect(await store.load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
    })

    it.each([
      ['/logout', 'without reading it'],
      ['/logout?read', 'after reading it'],
    ])(
      'a logout (%s) from a request still holding the old cookie, %s, ends the logged-in session',
      async (logout) => {
        const app = raceApp(store)
        const cookie = await startSession(app)
        const headers = { Cookie: `id=${cookie}` }
        const loggedIn = sessionCookie(
          await app.request('/login', { method: 'POST', headers })
        )!.value
        expect(loggedIn).not.toBe(cookie)
        expect(await store.load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
        // e.g. a second tab that has not seen the new cookie: the move is followed.
        const out = await app.request(logout, { method: 'POST', headers })
        expect(out.status).toBe(200)
        expect(sessionCookie(out)?.attributes['max-age']).toBe('0')
        expect(await store.load(recordKeyOf(idOfCookie(loggedIn)))).toBeUndefined()
        expect((await read(app, loggedIn)).user).toBeNull()
      }
    )

    it('writes racing a login are dropped without touching the cookie', async () => {
      const racers = 3
      const { hold, allArrived, release } = gate(racers + 1)
      const app = raceApp(store, hold)
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
      expect(await store.load(recordKeyOf(idOfCookie(cookie)))).toBeUndefined()
    })

    for (const order of ['one after the other', 'at once'] as const) {
      it(`two logins racing on one cookie, released ${order}, end on one logged-in session and orphan none`, async () => {
        // A double-clicked login form: both requests loaded the same session before either saved.
        const { hold, allArrived, release, releaseOne } = gate(2)
        const { store: recording, keys } = recordingKeys(store)
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
          const record = await store.load(key)
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
        create: (record) => store.create(record),
        load: (key) => store.load(key),
        delete: (key) => store.delete(key),
        async save(record: SessionRecord, expectedVersion?: number) {
          const saved = await store.save(record, expectedVersion)
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

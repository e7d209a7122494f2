import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession } from 'typed-sessions'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionStore } from '../../src/core/store.js'
import { CachingStore, type CachingStoreOptions } from '../../src/stores/caching-store.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { CookieJar, sessionApp } from '../helpers/http.js'
import { sqliteFiles } from '../helpers/sqlite-files.js'
import { holdingLoads } from '../helpers/held-loads.js'

// Two app instances, each with its own CachingStore (a MemoryStore cache) over one SQLite file
// opened twice, as two processes would: how long one instance serves what the other changed.

const sqlite = sqliteFiles()
afterAll(() => sqlite.remove())

const userSession = defineSession(
  z.object({ user: z.string().optional(), visits: z.number().int().default(0) })
)

/** A clock both instances and their caches read, moved by hand. */
function manualClock() {
  const clock = { now: Date.now(), advance: (ms: number) => (clock.now += ms) }
  return clock
}

/**
 * Two instances over one database file. `wrap` may put something between instance B's
 * CachingStore and its backing store (a gate).
 */
async function twoInstances(
  options: CachingStoreOptions = {},
  wrap: (store: SessionStore) => SessionStore = (store) => store
) {
  const clock = manualClock()
  const now = () => clock.now
  const file = sqlite.newFile()
  const first = await sqlite.migratedStore({}, sqlite.openDatabase(file))
  const second = await sqlite.migratedStore({}, sqlite.openDatabase(file))
  const cachingStore = (backing: SessionStore) =>
    new CachingStore(new MemoryStore({ now }), backing, { now, ...options })
  const apps = [cachingStore(first.store), cachingStore(wrap(second.store))].map((store) => {
    const app = sessionApp(userSession, { store })
    app.post('/login', async (c) => {
      await c.var.session.cycleId()
      await c.var.session.set('user', 'ada')
      return c.text('logged in')
    })
    app.post('/logout', async (c) => {
      await c.var.session.flush()
      return c.text('logged out')
    })
    app.post('/visit', async (c) =>
      c.text(String(await c.var.session.update('visits', (n) => n + 1)))
    )
    app.get('/me', async (c) => c.text((await c.var.session.get('user')) ?? 'anonymous'))
    app.get('/visits', async (c) => c.text(String(await c.var.session.get('visits'))))
    return app
  })
  // One browser, its requests sent to either instance, as a load balancer would.
  let target = 0
  const jar = new CookieJar({ request: (path, init) => apps[target]!.request(path, init) })
  const on = (instance: 'A' | 'B') => ((target = instance === 'A' ? 0 : 1), jar)
  return { clock, on }
}

describe('CachingStore, one per instance over one backing store', () => {
  it('serves a logout made on instance A as logged in on B for at most 5 s by default', async () => {
    const { clock, on } = await twoInstances()
    await on('A').fetch('/login', { method: 'POST' })
    expect(await on('B').text('/me')).toBe('ada') // now cached by B
    const cookie = on('A').cookies.get('id')!
    await on('A').fetch('/logout', { method: 'POST' })
    on('B').cookies.set('id', cookie) // a second tab still sends it

    clock.advance(4_999)
    expect(await on('B').text('/me')).toBe('ada') // the documented lag
    clock.advance(1)
    expect(await on('B').text('/me')).toBe('anonymous')
  })

  it('serves a write made on instance A on B within maxStalenessMs', async () => {
    const { clock, on } = await twoInstances({ maxStalenessMs: 1_000 })
    await on('A').fetch('/visit', { method: 'POST' })
    expect(await on('B').text('/visits')).toBe('1')
    await on('A').fetch('/visit', { method: 'POST' })
    await on('A').fetch('/visit', { method: 'POST' })

    clock.advance(1_000)
    expect(await on('B').text('/visits')).toBe('3')
  })

  it('counts the time from the start of the read: a copy read just before a logout on A is not served longer', async () => {
    let held!: ReturnType<typeof holdingLoads>
    const { clock, on } = await twoInstances({}, (store) => (held = holdingLoads(store)).store)
    await on('A').fetch('/login', { method: 'POST' })

    const load = held.holdNext()
    const staleRead = on('B').text('/me') // B's cache is empty: it asks the database
    await load.read // B has read the logged-in record
    const cookie = on('B').cookies.get('id')!
    await on('A').fetch('/logout', { method: 'POST' })
    on('B').cookies.set('id', cookie)
    clock.advance(3_000) // B's answer arrives late, and fills B's cache now
    load.release()
    expect(await staleRead).toBe('ada')

    clock.advance(2_000) // 5 s after B's read started, 2 s after the fill
    expect(await on('B').text('/me')).toBe('anonymous')
  })

  it('asks the backing store on every read with maxStalenessMs: 0', async () => {
    const { on } = await twoInstances({ maxStalenessMs: 0 })
    await on('A').fetch('/visit', { method: 'POST' })
    expect(await on('B').text('/visits')).toBe('1')
    await on('A').fetch('/visit', { method: 'POST' })

    expect(await on('B').text('/visits')).toBe('2')
  })

  it('serves from the cache until the record expires with maxStalenessMs: Infinity (one instance)', async () => {
    const { clock, on } = await twoInstances({ maxStalenessMs: Number.POSITIVE_INFINITY })
    await on('A').fetch('/login', { method: 'POST' })
    expect(await on('B').text('/me')).toBe('ada')
    const cookie = on('A').cookies.get('id')!
    await on('A').fetch('/logout', { method: 'POST' })
    on('B').cookies.set('id', cookie)

    clock.advance(60 * 60_000)
    expect(await on('B').text('/me')).toBe('ada')
  })

  it('rejects a maxStalenessMs that is not a number of milliseconds >= 0 with CONFIG', () => {
    for (const maxStalenessMs of [-1, Number.NaN, '5000' as unknown as number]) {
      let error: unknown
      try {
        new CachingStore(new MemoryStore(), new MemoryStore(), { maxStalenessMs })
      } catch (caught) {
        error = caught
      }
      expect(isSessionError(error) && error.code, String(maxStalenessMs)).toBe('CONFIG')
      expect((error as Error).message).toMatch(/maxStalenessMs/)
    }
  })
})

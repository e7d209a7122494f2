import { describe, expect, it } from 'vitest'
import { MemoryStore } from 'typed-sessions'
import { CookieJar } from '../helpers/http.js'
import { floodApp, runFlood, runLoginDuringFlood, type FloodApp } from '../helpers/memory-flood.js'

// Floods of cookie-less writes, of cookies sent back, of large records (issues 7 and 15), at the
// MemoryStore's defaults (10,000 sessions, 64 MiB) and through the middleware. The numbers in
// the README come from bench/memory-flood.ts, which runs these floods further.

/** `count` cookie-less requests to a route that writes the session, a few at a time. */
async function flood(app: FloodApp, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += 50) {
    const batch = Array.from({ length: Math.min(50, count - sent) }, () => app.request('/visit'))
    for (const response of await Promise.all(batch)) expect(response.status).toBe(200)
  }
}

describe('MemoryStore defaults under a flood: no user who logged in is evicted', () => {
  it('keeps 50 users who logged in and did not come back, through 30,000 cookie-less writes', async () => {
    const store = new MemoryStore()
    const result = await runFlood(store, { kind: 'cookie-less', sessions: 30_000 })

    expect(result).toMatchObject({ firstEvictionAt: undefined, loggedOut: 0 })
    expect(store.size).toBe(10_000) // the flood filled the store
  }, 60_000)

  it('keeps them through 20,000 flood sessions each sent back once (40,000 requests)', async () => {
    const store = new MemoryStore()
    const result = await runFlood(store, { kind: 'echo', sessions: 20_000 })

    expect(result).toMatchObject({ requests: 40_000, firstEvictionAt: undefined, loggedOut: 0 })
    expect(store.size).toBe(10_000)
  }, 60_000)

  it('keeps them through 100 sessions of 1 MiB of client text each, each sent back once', async () => {
    const store = new MemoryStore()
    const result = await runFlood(store, { kind: 'large', sessions: 100, checkEvery: 10 })

    expect(result.bytes).toBeGreaterThan(1.5 * 64 * 1024 * 1024)
    expect(result).toMatchObject({ firstEvictionAt: undefined, loggedOut: 0 })
    expect(store.bytes).toBeLessThanOrEqual(64 * 1024 * 1024)
    expect(store.bytes).toBeGreaterThan(60 * 1024 * 1024) // the flood filled the store
  }, 60_000)

  it('keeps 50 users who log in during a cookie-less flood and come back 20,000 to 50,000 requests later', async () => {
    // At 10,000 requests a second: a login every 0.1 s, each user back 2 to 5 s later.
    const store = new MemoryStore()
    const result = await runLoginDuringFlood(store)

    expect(result.gap).toStrictEqual({ min: 20_000, max: 50_000 })
    expect(result.loggedOut).toBe(0)
    expect(store.size).toBe(10_000)
  }, 60_000)
})

describe('MemoryStore under a flood: visitors who did not log in', () => {
  it('keeps a visitor who came back once through 10,000 cookie-less writes, not one who did not', async () => {
    const store = new MemoryStore({ maxSessions: 100 })
    const app = floodApp(store)
    const returning = new CookieJar(app)
    await returning.fetch('/visit')
    await returning.fetch('/visit') // came back: the session is protected
    const oneTime = new CookieJar(app)
    await oneTime.fetch('/visit') // never came back

    await flood(app, 10_000)

    expect(await returning.text('/visit')).toBe('3')
    // The flood did fill the store: the session that never came back was evicted by it.
    expect(await oneTime.text('/visit')).toBe('1')
    expect(store.size).toBeLessThanOrEqual(100)
  })

  it('keeps many returning visitors, up to the protected share of maxSessions', async () => {
    const store = new MemoryStore({ maxSessions: 100 })
    const app = floodApp(store)
    const visitors = Array.from({ length: 50 }, () => new CookieJar(app))
    for (const visitor of visitors) {
      await visitor.fetch('/visit')
      await visitor.fetch('/visit')
    }

    await flood(app, 2_000)

    for (const visitor of visitors) expect(await visitor.text('/visit')).toBe('3')
  })

  it('stays bounded when logged-in sessions alone overflow it, dropping the least recent', async () => {
    const store = new MemoryStore({ maxSessions: 10 })
    const app = floodApp(store)
    const users = Array.from({ length: 30 }, () => new CookieJar(app))
    for (const [i, user] of users.entries()) {
      await user.fetch(`/login?user=user-${i}`, { method: 'POST' })
    }

    expect(store.size).toBeLessThanOrEqual(10)
    const kept: boolean[] = []
    for (const [i, user] of users.entries()) kept.push((await user.text('/me')) === `user-${i}`)
    expect(kept.slice(0, 20).some(Boolean)).toBe(false)
    expect(kept.slice(-5).every(Boolean)).toBe(true)
  })
})

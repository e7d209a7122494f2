import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, MemoryStore } from 'typed-sessions'
import { CookieJar, sessionApp } from '../helpers/http.js'

// The security review's flood finding (issue 7): cookie-less requests that write the session
// must not push a returning user out of a bounded MemoryStore.

const definition = defineSession(
  z.object({
    user: z.string().optional(),
    visits: z.number().int().default(0),
  })
)

function floodApp(store: MemoryStore) {
  const app = sessionApp(definition, { store })
  app.post('/login', async (c) => {
    await c.var.session.set('user', 'ada')
    return c.text('logged in')
  })
  app.get('/me', async (c) => c.text((await c.var.session.get('user')) ?? 'anonymous'))
  // Any route that writes the session: each cookie-less request creates a record.
  app.get('/visit', async (c) => {
    await c.var.session.update('visits', (n) => n + 1)
    return c.text('ok')
  })
  return app
}

/** `count` cookie-less requests to a route that writes the session, a few at a time. */
async function flood(app: ReturnType<typeof floodApp>, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += 50) {
    const batch = Array.from({ length: Math.min(50, count - sent) }, () => app.request('/visit'))
    for (const response of await Promise.all(batch)) expect(response.status).toBe(200)
  }
}

describe('MemoryStore under a flood of new sessions', () => {
  it('keeps a user who came back once, through 10,000 cookie-less writes', async () => {
    const store = new MemoryStore({ maxSessions: 100 })
    const app = floodApp(store)
    const returning = new CookieJar(app)
    await returning.fetch('/login', { method: 'POST' })
    expect(await returning.text('/me')).toBe('ada') // came back: the session is protected
    const oneTime = new CookieJar(app)
    await oneTime.fetch('/login', { method: 'POST' }) // logged in, never came back

    await flood(app, 10_000)

    expect(await returning.text('/me')).toBe('ada')
    // The flood did fill the store: the session that never came back was evicted by it.
    expect(await oneTime.text('/me')).toBe('anonymous')
    expect(store.size).toBeLessThanOrEqual(100)
  })

  it('keeps many returning users, up to the protected share of maxSessions', async () => {
    const store = new MemoryStore({ maxSessions: 100 })
    const app = floodApp(store)
    const users = Array.from({ length: 50 }, () => new CookieJar(app))
    for (const user of users) {
      await user.fetch('/login', { method: 'POST' })
      expect(await user.text('/me')).toBe('ada')
    }

    await flood(app, 2_000)

    for (const user of users) expect(await user.text('/me')).toBe('ada')
  })

  it('stays bounded when returning sessions alone overflow it, dropping the least recent', async () => {
    const store = new MemoryStore({ maxSessions: 10 })
    const app = floodApp(store)
    const users = Array.from({ length: 30 }, () => new CookieJar(app))
    for (const user of users) {
      await user.fetch('/login', { method: 'POST' })
      expect(await user.text('/me')).toBe('ada')
    }

    expect(store.size).toBeLessThanOrEqual(10)
    const kept: boolean[] = []
    for (const user of users) kept.push((await user.text('/me')) === 'ada')
    expect(kept.slice(0, 20).some(Boolean)).toBe(false)
    expect(kept.slice(-5).every(Boolean)).toBe(true)
  })
})

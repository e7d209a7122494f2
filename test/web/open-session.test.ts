import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, MemoryStore, recordKeyOf } from 'typed-sessions'
import { fetchSessions } from 'typed-sessions/fetch'
import {
  sessionMiddleware,
  type SessionEnv,
  type SessionMiddlewareOptions,
} from 'typed-sessions/hono'
import { EventLog } from '../helpers/events.js'
import { SECRET, sessionCookie } from '../helpers/http.js'
import { idOfCookie, recordOfCookie } from '../helpers/stores.js'

// Outside the middleware (issue 17 item 4): a session loaded from a Cookie header or a token,
// read, changed and saved explicitly, with every guarantee of a request.

const appSession = defineSession(
  z.object({ counter: z.number().int().default(0), user: z.string().optional() })
)

/** An app and its middleware (whose `openSession` the tests call), on one store. */
function appWithSessions(options: Partial<SessionMiddlewareOptions> = {}) {
  const store = new MemoryStore()
  const sessions = sessionMiddleware(appSession, { secret: SECRET, store, ...options })
  const app = new Hono<SessionEnv<typeof appSession>>().use(sessions)
  app.post('/login', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('user', 'ada')
    return c.text('in')
  })
  app.post('/increment', async (c) => c.json(await c.var.session.update('counter', (n) => n + 1)))
  app.post('/logout', async (c) => {
    await c.var.session.flush()
    return c.text('out')
  })
  app.get('/read', async (c) => c.json(await c.var.session.toObject()))
  return { app, sessions, store }
}

async function loggedIn(app: Hono<SessionEnv<typeof appSession>>): Promise<string> {
  return sessionCookie(await app.request('/login', { method: 'POST' }))!.value
}

describe('openSession', () => {
  it('loads the session a Cookie header names, changes it, and commit() saves it', async () => {
    const { app, sessions, store } = appWithSessions()
    const cookie = await loggedIn(app)
    const opened = await sessions.openSession({ cookie: `theme=dark; id=${cookie}` })
    expect(opened.recordKey).toBe(recordKeyOf(idOfCookie(cookie)))
    expect(await opened.session.get('user')).toBe('ada')
    await opened.session.update('counter', (n) => n + 10)
    const headers = await opened.commit()
    expect(headers.getSetCookie()).toHaveLength(1)
    expect(headers.get('cache-control')).toBe('private')
    expect((await recordOfCookie(store, cookie))?.data).toEqual({ user: 'ada', counter: 10 })
    await expect(opened.session.set('counter', 1)).rejects.toMatchObject({
      code: 'RESPONSE_STARTED',
    })
  })

  it('loads a session from a token, and answers a cycleId with the new token', async () => {
    const { app, sessions } = appWithSessions({ transport: 'header' })
    const token = (await app.request('/login', { method: 'POST' })).headers.get('set-auth-token')!
    const opened = await sessions.openSession({ token })
    expect(await opened.session.get('user')).toBe('ada')
    await opened.session.cycleId()
    const renewed = (await opened.commit()).get('set-auth-token')!
    expect(renewed).not.toBe(token)
    const read = await app.request('/read', { headers: { authorization: `Bearer ${renewed}` } })
    expect(await read.json()).toEqual({ counter: 0, user: 'ada' })
  })

  it('reads a tampered or unknown cookie as no session, never an error', async () => {
    const { app, sessions } = appWithSessions()
    const cookie = await loggedIn(app)
    const tampered = `${cookie.slice(0, 30)}${cookie[30] === 'A' ? 'B' : 'A'}${cookie.slice(31)}`
    const opened = await sessions.openSession({ cookie: `id=${tampered}` })
    expect(opened.session.isEmpty()).toBe(true)
    expect(opened.recordKey).toBeUndefined()
    expect(await opened.session.get('user')).toBeUndefined()
    const none = await sessions.openSession()
    expect(none.session.isEmpty()).toBe(true)
    const headers = await none.commit()
    expect([headers.getSetCookie(), headers.get('vary')]).toEqual([[], null])
  })

  it('validates every write against the schema', async () => {
    const { sessions } = appWithSessions()
    const opened = await sessions.openSession({ cookie: null })
    await expect(opened.session.set('counter', 'many' as never)).rejects.toMatchObject({
      code: 'INVALID_VALUE',
    })
  })

  it('keeps a concurrent request’s change: its save is a compare-and-set that replays', async () => {
    const { app, sessions, store } = appWithSessions()
    const cookie = await loggedIn(app)
    const opened = await sessions.openSession({ cookie: `id=${cookie}` })
    await opened.session.update('counter', (n) => n + 1)
    // A request saves the session after it was opened and changed here.
    await app.request('/increment', { method: 'POST', headers: { cookie: `id=${cookie}` } })
    await opened.commit()
    expect((await recordOfCookie(store, cookie))?.data).toMatchObject({ counter: 2 })
  })

  it('loses to a logout that came first: nothing is brought back, and commit() removes the cookie', async () => {
    const log = new EventLog()
    const { app, sessions, store } = appWithSessions({ on: log.on })
    const cookie = await loggedIn(app)
    const opened = await sessions.openSession({ cookie: `id=${cookie}` })
    await app.request('/logout', { method: 'POST', headers: { cookie: `id=${cookie}` } })
    expect(log.of('flushed').map((event) => event.recordKey)).toEqual([opened.recordKey])
    await opened.session.set('user', 'mallory')
    const headers = await opened.commit()
    expect(headers.getSetCookie()[0]).toMatch(/^id=; Max-Age=0/)
    expect(await recordOfCookie(store, cookie)).toBeUndefined()
    const read = await app.request('/read', { headers: { cookie: `id=${cookie}` } })
    expect(await read.json()).toEqual({ counter: 0 })
  })

  it('is offered by fetchSessions too, on the same rules', async () => {
    const store = new MemoryStore()
    const sessions = fetchSessions(appSession, { secret: SECRET, store })
    const first = await sessions.openSession()
    await first.session.set('user', 'ada')
    const cookie = (await first.commit()).getSetCookie()[0]!.split(';')[0]!
    const again = await sessions.openSession({ cookie })
    expect(await again.session.get('user')).toBe('ada')
  })
})

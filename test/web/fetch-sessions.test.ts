import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, isSessionError, MemoryStore } from 'typed-sessions'
import { fetchSessions, type FetchSessionsOptions } from 'typed-sessions/fetch'
import { configErrorOf } from '../helpers/config-errors.js'
import { SECRET, sessionCookie, setCookies } from '../helpers/http.js'
import { HttpCookieJar, listen, type ServedApp } from '../helpers/server.js'
import { recordOfCookie, TestStore } from '../helpers/stores.js'

// The Fetch-API adapter (issue 17 item 5) on Node: plain fetch handlers behind
// @hono/node-server, the same rules as the Hono middleware.

const appSession = defineSession(
  z.object({ counter: z.number().int().default(0), user: z.string().optional() })
)

/** A router of plain fetch handlers over `fetchSessions`. */
function fetchApp(options: Partial<FetchSessionsOptions> = {}) {
  const store = new TestStore()
  const sessions = fetchSessions(appSession, {
    secret: SECRET,
    store,
    cookie: { secure: false },
    ...options,
  })
  const fetch = sessions.handle(async (request, session) => {
    const { pathname } = new URL(request.url)
    if (pathname === '/') {
      const n = await session.get('counter')
      await session.set('counter', n + 1)
      return new Response(`Current count: ${n}`)
    }
    if (pathname === '/login') {
      await session.cycleId()
      await session.set('user', 'ada')
      return Response.redirect('http://localhost/me', 303)
    }
    if (pathname === '/logout') {
      await session.flush()
      return new Response('out')
    }
    if (pathname === '/crash') {
      await session.set('counter', 99)
      return new Response('boom', { status: 500 })
    }
    if (pathname === '/throw') {
      await session.set('counter', 99)
      throw new Error('handler failed')
    }
    if (pathname === '/client') return Response.json(session.client)
    return Response.json({
      counter: await session.get('counter'),
      user: (await session.get('user')) ?? null,
    })
  })
  return { fetch, sessions, store }
}

describe('fetchSessions on Node, behind @hono/node-server', () => {
  const app = fetchApp()
  let server: ServedApp
  beforeAll(async () => {
    server = await listen({ fetch: app.fetch })
  })
  afterAll(() => server.close())

  it('counts per visitor with a cookie jar', async () => {
    const alice = new HttpCookieJar(server.url)
    const bob = new HttpCookieJar(server.url)
    const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
    expect(counts).toEqual(['Current count: 0', 'Current count: 1', 'Current count: 0'])
  })

  it('logs in on a redirect (immutable headers) and logs out with a removal cookie', async () => {
    const jar = new HttpCookieJar(server.url)
    await jar.text('/')
    const before = jar.cookies.get('id')
    const login = await jar.fetch('/login', { method: 'POST' })
    expect(login.status).toBe(303)
    expect(login.headers.get('cache-control')).toBe('private')
    expect(jar.cookies.get('id')).not.toBe(before)
    expect(await (await jar.fetch('/me')).json()).toEqual({ counter: 1, user: 'ada' })
    const logout = await jar.fetch('/logout', { method: 'POST' })
    expect(sessionCookie(logout)!.attributes['max-age']).toBe('0')
    expect(jar.cookies.has('id')).toBe(false)
  })

  it('saves nothing for a 5xx response or a handler that throws', async () => {
    const creates = app.store.calls.create
    const crash = await fetch(`${server.url}/crash`)
    expect(crash.status).toBe(500)
    expect(setCookies(crash)).toEqual([])
    const thrown = await fetch(`${server.url}/throw`)
    expect(thrown.status).toBe(500)
    expect(setCookies(thrown)).toEqual([])
    expect(app.store.calls.create).toBe(creates)
  })

  it("reads the client's address from the connection, never from a forwarded header", async () => {
    const response = await fetch(`${server.url}/client`, {
      headers: { 'user-agent': 'test-agent', 'x-forwarded-for': '203.0.113.9' },
    })
    expect(await response.json()).toEqual({ userAgent: 'test-agent', ip: '127.0.0.1' })
  })
})

describe('fetchSessions by hand', () => {
  it('opens a request, and respond() puts the headers on the Response', async () => {
    const store = new MemoryStore()
    const sessions = fetchSessions(appSession, { secret: SECRET, store })
    const opened = sessions.open(new Request('http://localhost/'))
    await opened.session.set('counter', 5)
    const response = await opened.respond(new Response('ok'))
    const cookie = sessionCookie(response)!
    expect(cookie.attributes['secure']).toBe(true)
    expect((await recordOfCookie(store, cookie.value))?.data).toEqual({ counter: 5 })
    await expect(opened.session.set('counter', 6)).rejects.toMatchObject({
      code: 'RESPONSE_STARTED',
    })
  })

  it('answers the header transport with the token', async () => {
    const sessions = fetchSessions(appSession, { secret: SECRET, transport: 'header' })
    const first = sessions.open(new Request('http://localhost/'))
    await first.session.set('user', 'ada')
    const token = (await first.respond(new Response('ok'))).headers.get('set-auth-token')!
    const request = new Request('http://localhost/', {
      headers: { authorization: `Bearer ${token}` },
    })
    const second = sessions.open(request)
    expect(await second.session.get('user')).toBe('ada')
  })

  it('refuses a wrong option with CONFIG, naming fetchSessions', () => {
    const options = { secret: SECRET, contextKey: 'session' } as unknown as FetchSessionsOptions
    const error = configErrorOf(() => fetchSessions(appSession, options))
    expect(error.message).toMatch(/contextKey is not an option of fetchSessions/)
    expect(isSessionError(error)).toBe(true)
  })
})

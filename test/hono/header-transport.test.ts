import { Hono } from 'hono'
import { hc } from 'hono/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CookieStore, defineSession, MemoryStore } from 'typed-sessions'
import {
  sessionMiddleware,
  type SessionEnv,
  type SessionMiddlewareOptions,
} from 'typed-sessions/hono'
import { configErrorOf } from '../helpers/config-errors.js'
import { EventLog } from '../helpers/events.js'
import { OTHER_SECRET, SECRET, sessionCookie, setCookies } from '../helpers/http.js'
import { listen, type ServedApp } from '../helpers/server.js'

// The header transport (issue 17 item 3): the signed id in `Authorization: Bearer …` (or a
// header the app names), sent back on create, on cycleId and on key rotation, emptied on logout.

const userSession = defineSession(
  z.object({ user: z.string().optional(), visits: z.number().default(0) })
)

/** A typed API for `hc`: login, me, visit, logout. */
function apiApp(options: Partial<SessionMiddlewareOptions> = {}) {
  return new Hono<SessionEnv<typeof userSession>>()
    .use(sessionMiddleware(userSession, { secret: SECRET, transport: 'header', ...options }))
    .post('/login', async (c) => {
      await c.var.session.cycleId()
      await c.var.session.set('user', 'ada')
      return c.json({ ok: true })
    })
    .get('/me', async (c) => c.json({ user: (await c.var.session.get('user')) ?? null }))
    .post('/visit', async (c) =>
      c.json({ visits: await c.var.session.update('visits', (n) => n + 1) })
    )
    .post('/logout', async (c) => {
      await c.var.session.flush()
      return c.json({ ok: true })
    })
}

describe("the header transport, through Hono's hc client against a real server", () => {
  const store = new MemoryStore()
  const app = apiApp({ store })
  let server: ServedApp
  let token: string | undefined
  const client = () =>
    hc<typeof app>(server.url, {
      headers: (): Record<string, string> =>
        token === undefined ? {} : { authorization: `Bearer ${token}` },
    })
  beforeAll(async () => {
    server = await listen(app)
  })
  afterAll(() => server.close())

  it('logs in: the token comes back in set-auth-token, and no cookie is set', async () => {
    const response = await client().login.$post()
    expect(await response.json()).toEqual({ ok: true })
    expect(response.headers.getSetCookie()).toEqual([])
    token = response.headers.get('set-auth-token') ?? undefined
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/)
    expect(response.headers.get('cache-control')).toBe('private')
    expect(response.headers.get('vary')).toBe('Authorization')
  })

  it('reads and changes the session by the token; an unchanged token is not sent again', async () => {
    const me = await client().me.$get()
    expect(await me.json()).toEqual({ user: 'ada' })
    const visit = await client().visit.$post()
    expect(await visit.json()).toEqual({ visits: 1 })
    expect(visit.headers.has('set-auth-token')).toBe(false)
    expect(visit.headers.getSetCookie()).toEqual([])
  })

  it('cycleId sends a new token, and the old one names no session any more', async () => {
    const old = token
    const response = await client().login.$post()
    token = response.headers.get('set-auth-token') ?? undefined
    expect(token).toBeDefined()
    expect(token).not.toBe(old)
    expect(await (await client().visit.$post()).json()).toEqual({ visits: 2 })
    const stale = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${old}` } })
    expect(await stale.json()).toEqual({ user: null })
  })

  it('logout sends the removal signal, an empty set-auth-token, and the token is dead', async () => {
    const response = await client().logout.$post()
    expect(response.headers.get('set-auth-token')).toBe('')
    expect(await (await client().me.$get()).json()).toEqual({ user: null })
  })
})

describe('the header transport, with plain fetch against a real server', () => {
  let server: ServedApp
  beforeAll(async () => {
    server = await listen(apiApp({ header: { name: 'x-session-token' } }))
  })
  afterAll(() => server.close())

  it('reads and answers a header the app names, with the bare token both ways', async () => {
    const login = await fetch(`${server.url}/login`, { method: 'POST' })
    const token = login.headers.get('x-session-token')!
    expect(token).toMatch(/\./)
    const me = await fetch(`${server.url}/me`, { headers: { 'x-session-token': token } })
    expect(await me.json()).toEqual({ user: 'ada' })
    expect(me.headers.get('vary')).toBe('x-session-token')
    // The Authorization header is not this app's transport.
    const other = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(await other.json()).toEqual({ user: null })
  })
})

describe('what the header transport reads', () => {
  const request = (app: ReturnType<typeof apiApp>, path: string, headers: Record<string, string>) =>
    app.request(path, { method: path === '/me' ? 'GET' : 'POST', headers })

  it('never reads a cookie: a browser cannot be made to send the session cross-site', async () => {
    const store = new MemoryStore()
    const cookieApp = apiApp({ store, transport: 'cookie' })
    const cookie = sessionCookie(await cookieApp.request('/login', { method: 'POST' }))!.value
    const headerApp = apiApp({ store })
    const response = await request(headerApp, '/me', { cookie: `id=${cookie}` })
    expect(await response.json()).toEqual({ user: null })
    // The same value as a token is the same session: a token is what the cookie would hold.
    const asToken = await request(headerApp, '/me', { authorization: `Bearer ${cookie}` })
    expect(await asToken.json()).toEqual({ user: 'ada' })
  })

  it('takes the scheme in any case and refuses another scheme or a tampered token', async () => {
    const log = new EventLog()
    const app = apiApp({ on: { invalid: log.on.invalid } })
    const token = (await request(app, '/login', {})).headers.get('set-auth-token')!
    const read = async (authorization: string) =>
      (await (await request(app, '/me', { authorization })).json()) as { user: string | null }
    expect(await read(`bearer ${token}`)).toEqual({ user: 'ada' })
    expect(await read(`Basic ${token}`)).toEqual({ user: null })
    expect(await read(token)).toEqual({ user: null })
    const tampered = `${token.slice(0, 30)}${token[30] === 'A' ? 'B' : 'A'}${token.slice(31)}`
    expect(await read(`Bearer ${tampered}`)).toEqual({ user: null })
    expect(log.of('invalid').map((event) => event.reason)).toEqual(['cookie'])
  })

  it('re-issues a token signed with a retired key under the current one', async () => {
    const store = new MemoryStore()
    const old = (await request(apiApp({ store, secret: OTHER_SECRET }), '/login', {})).headers.get(
      'set-auth-token'
    )!
    const rotated = apiApp({ store, secret: [SECRET, OTHER_SECRET] })
    const response = await request(rotated, '/me', { authorization: `Bearer ${old}` })
    expect(await response.json()).toEqual({ user: 'ada' })
    const renewed = response.headers.get('set-auth-token')!
    expect(renewed).not.toBe(old)
    const current = await request(apiApp({ store }), '/me', { authorization: `Bearer ${renewed}` })
    expect(await current.json()).toEqual({ user: 'ada' })
  })

  it('carries a sealed CookieStore session as the token too', async () => {
    const app = apiApp({ store: new CookieStore() })
    const first = (await request(app, '/visit', {})).headers.get('set-auth-token')!
    const second = await request(app, '/visit', { authorization: `Bearer ${first}` })
    expect(await second.json()).toEqual({ visits: 2 })
    // The record travels in the token, so every save changes it.
    expect(second.headers.get('set-auth-token')).not.toBe(first)
  })
})

describe("transport: 'both'", () => {
  const app = apiApp({ transport: 'both', store: new MemoryStore() })

  it('answers a request with neither by both, and varies on both', async () => {
    const response = await app.request('/login', { method: 'POST' })
    expect(sessionCookie(response)).toBeDefined()
    expect(response.headers.get('set-auth-token')).toBe(sessionCookie(response)!.value)
    expect(response.headers.get('vary')).toBe('Cookie, Authorization')
  })

  it('answers a cookie request by cookie only: the token of a browser session is never readable by script', async () => {
    const cookie = sessionCookie(await app.request('/visit', { method: 'POST' }))!.value
    const login = await app.request('/login', {
      method: 'POST',
      headers: { cookie: `id=${cookie}` },
    })
    expect(sessionCookie(login)!.value).not.toBe(cookie)
    expect(login.headers.has('set-auth-token')).toBe(false)
    const logout = await app.request('/logout', {
      method: 'POST',
      headers: { cookie: `id=${sessionCookie(login)!.value}` },
    })
    expect(sessionCookie(logout)!.attributes['max-age']).toBe('0')
    expect(logout.headers.has('set-auth-token')).toBe(false)
  })

  it('answers a token request by header only: no cookie that would need CSRF protection', async () => {
    const token = (await app.request('/visit', { method: 'POST' })).headers.get('set-auth-token')!
    const authorization = `Bearer ${token}`
    const login = await app.request('/login', { method: 'POST', headers: { authorization } })
    expect(setCookies(login)).toEqual([])
    const renewed = login.headers.get('set-auth-token')!
    expect(renewed).not.toBe(token)
    const logout = await app.request('/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${renewed}` },
    })
    expect(logout.headers.get('set-auth-token')).toBe('')
    expect(setCookies(logout)).toEqual([])
  })
})

describe('the transport options', () => {
  it.each<[string, Partial<SessionMiddlewareOptions>, RegExp]>([
    [
      'an unknown transport',
      { transport: 'query' as never },
      /transport is 'cookie', 'header' or 'both'/,
    ],
    [
      'header without the header transport',
      { transport: 'cookie', header: { name: 'x-token' } },
      /pass transport: 'header'/,
    ],
    [
      'the Cookie header as the token header',
      { header: { name: 'Cookie' } },
      /header\.name "Cookie" cannot carry/,
    ],
    ['a header name with a space', { header: { name: 'x token' } }, /header\.name "x token"/],
    ['a scheme that is not a token', { header: { scheme: 'Bear er' } }, /header\.scheme "Bear er"/],
    [
      'Authorization as the response header',
      { header: { responseName: 'Authorization' } },
      /responseName cannot be Authorization/,
    ],
    [
      'an unknown header option',
      { header: { prefix: 'Bearer' } as never },
      /header\.prefix is not a header option/,
    ],
  ])('refuses %s with CONFIG', (_case, options, message) => {
    const create = () =>
      sessionMiddleware(userSession, { secret: SECRET, transport: 'header', ...options })
    expect(configErrorOf(create).message).toMatch(message)
  })
})

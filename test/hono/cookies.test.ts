import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession } from 'typed-sessions'
import type { CookieOptions } from 'typed-sessions'
import { sessionMiddleware, type SessionMiddlewareOptions } from 'typed-sessions/hono'
import { configErrorOf } from '../helpers/config-errors.js'
import { SECRET, sessionApp, sessionCookie, setCookies } from '../helpers/http.js'

// DESIGN.md §5: the cookie's name, attributes and value, and configuration mistakes.

const definition = defineSession(z.object({ counter: z.number().int().default(0) }))

function cookieApp(cookie?: CookieOptions) {
  const app = sessionApp(definition, cookie === undefined ? {} : { cookie })
  app.post('/increment', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return c.text('ok')
  })
  return app
}

async function issuedCookie(cookie?: CookieOptions, name = cookie?.name ?? 'id') {
  const response = await cookieApp(cookie).request('/increment', { method: 'POST' })
  const found = sessionCookie(response, name)
  if (found === undefined) throw new Error(`no ${name} cookie in ${setCookies(response).length}`)
  return found
}

describe('the session cookie', () => {
  it('has the default attributes: name id, Path=/, HttpOnly, Secure, SameSite=Lax, no Domain', async () => {
    const cookie = await issuedCookie()
    expect(cookie.name).toBe('id')
    expect(cookie.attributes).toEqual({
      path: '/',
      httponly: true,
      secure: true,
      samesite: 'Lax',
    })
  })

  it('is the only Set-Cookie of the response', async () => {
    const response = await cookieApp().request('/increment', { method: 'POST' })
    expect(setCookies(response)).toHaveLength(1)
  })

  it('has a value of a 22-character id, a dot and a 43-character tag', async () => {
    const cookie = await issuedCookie()
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/)
  })

  it('has a different id for every new session', async () => {
    const values = new Set<string>()
    for (let i = 0; i < 20; i++) values.add((await issuedCookie()).value.slice(0, 22))
    expect(values.size).toBe(20)
  })
})

describe('each cookie option changes its attribute', () => {
  it('name', async () => {
    const cookie = await issuedCookie({ name: 'sid' })
    expect(cookie.name).toBe('sid')
  })

  it('a __Host- name with the defaults', async () => {
    const cookie = await issuedCookie({ name: '__Host-sid' })
    expect(cookie.name).toBe('__Host-sid')
    expect(cookie.attributes.path).toBe('/')
    expect(cookie.attributes.secure).toBe(true)
    expect(cookie.attributes).not.toHaveProperty('domain')
  })

  it('path', async () => {
    expect((await issuedCookie({ path: '/app' })).attributes.path).toBe('/app')
  })

  it('domain', async () => {
    expect((await issuedCookie({ domain: 'example.com' })).attributes.domain).toBe('example.com')
  })

  it('secure: false', async () => {
    expect(await issuedCookie({ secure: false })).not.toHaveProperty('attributes.secure')
  })

  it('httpOnly: false', async () => {
    expect(await issuedCookie({ httpOnly: false })).not.toHaveProperty('attributes.httponly')
  })

  it('sameSite: Strict', async () => {
    expect((await issuedCookie({ sameSite: 'Strict' })).attributes.samesite).toBe('Strict')
  })

  it('sameSite: None', async () => {
    expect((await issuedCookie({ sameSite: 'None' })).attributes.samesite).toBe('None')
  })

  it('sameSite in lower case is normalised', async () => {
    expect((await issuedCookie({ sameSite: 'strict' })).attributes.samesite).toBe('Strict')
  })

  it('partitioned', async () => {
    expect((await issuedCookie({ partitioned: true })).attributes.partitioned).toBe(true)
  })

  it('a cookie of another name is not read as the session cookie', async () => {
    const app = cookieApp({ name: 'sid' })
    const value = (await issuedCookie({ name: 'sid' })).value
    app.get('/counter', async (c) => c.text(String(await c.var.session.get('counter'))))
    const response = await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(await response.text()).toBe('0')
  })
})

/** The `SessionError` that creating the middleware with `options` throws. */
function middlewareErrorOf(options: Partial<SessionMiddlewareOptions>): Error {
  return configErrorOf(() =>
    sessionMiddleware(definition, { secret: SECRET, ...options } as SessionMiddlewareOptions)
  )
}

describe('configuration mistakes throw when the middleware is created', () => {
  it('a missing secret, saying where to get one', () => {
    const error = middlewareErrorOf({ secret: undefined as never })
    expect(error.message).toMatch(/secret/i)
    expect(error.message).toMatch(/32 characters/)
  })

  it('a secret from an unset environment variable (empty string)', () => {
    expect(middlewareErrorOf({ secret: '' }).message).toMatch(/environment variable/)
  })

  it('a short secret, without echoing it', () => {
    const error = middlewareErrorOf({ secret: 'too-short-secret' })
    expect(error.message).toMatch(/shorter than 32 characters/)
    expect(error.message).not.toContain('too-short-secret')
  })

  it('a short previous secret in a key ring, naming its position', () => {
    expect(middlewareErrorOf({ secret: [SECRET, 'short'] }).message).toContain('secret[1]')
  })

  it('an empty key ring', () => {
    expect(middlewareErrorOf({ secret: [] }).message).toMatch(/empty array/)
  })

  it('SameSite=None without Secure', () => {
    const error = middlewareErrorOf({ cookie: { sameSite: 'None', secure: false } })
    expect(error.message).toMatch(/secure: true/)
  })

  it('a __Host- name with a Domain', () => {
    const error = middlewareErrorOf({ cookie: { name: '__Host-id', domain: 'example.com' } })
    expect(error.message).toMatch(/__Host-/)
    expect(error.message).toMatch(/domain/)
  })

  it('a __Host- name with a non-root Path', () => {
    expect(middlewareErrorOf({ cookie: { name: '__Host-id', path: '/app' } }).message).toMatch(
      /path: '\/'/
    )
  })

  it('a __Host- name without Secure', () => {
    expect(middlewareErrorOf({ cookie: { name: '__Host-id', secure: false } }).message).toMatch(
      /secure: true/
    )
  })

  it('a __Host- name matched case-insensitively', () => {
    middlewareErrorOf({ cookie: { name: '__host-id', domain: 'example.com' } })
  })

  it('a __Secure- name without Secure', () => {
    middlewareErrorOf({ cookie: { name: '__Secure-id', secure: false } })
  })

  it('partitioned without Secure', () => {
    const error = middlewareErrorOf({ cookie: { partitioned: true, secure: false } })
    expect(error.message).toMatch(/Partitioned/)
  })

  it.each([
    ['a ; in the name', { name: 'id;x' }],
    ['a space in the name', { name: 'my id' }],
    ['a control character in the name', { name: 'id\u0001' }],
    ['an = in the name', { name: 'id=x' }],
    ['an empty name', { name: '' }],
    ['a ; in the path', { path: '/app;Domain=evil.com' }],
    ['a control character in the path', { path: '/app\n' }],
    ['a path that does not start with /', { path: 'app' }],
    ['a ; in the domain', { domain: 'example.com;Path=/' }],
    ['a control character in the domain', { domain: 'example.com\u0000' }],
    ['an unknown sameSite', { sameSite: 'Sometimes' as never }],
  ] satisfies [string, CookieOptions][])('%s', (_label, cookie) => {
    expect(middlewareErrorOf({ cookie }).message).toMatch(/cookie\.\w+/)
  })

  it.each([0, -5, Number.NaN])('an absoluteTimeout of %s', (absoluteTimeout) => {
    expect(middlewareErrorOf({ absoluteTimeout }).message).toMatch(/absoluteTimeout/)
  })

  it('no options at all', () => {
    expect(() => sessionMiddleware(definition, undefined as never)).toThrow(/secret/)
  })
})

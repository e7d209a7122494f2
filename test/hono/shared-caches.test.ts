import type { Context } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession } from 'typed-sessions'
import { sessionApp, sessionCookie } from '../helpers/http.js'

// Issue 15, item 7: no shared cache may store a response that carries our Set-Cookie, whatever
// caching headers the handler gave it (RFC 9111 §3, RFC 9213, Edge Architecture 1.0).

const definition = defineSession(z.object({ counter: z.number().int().default(0) }))

/**
 * An app whose routes answer with the headers the request's JSON body names: `/count` writes
 * the session (our cookie is set), `/logout` ends it (the removal cookie), `/static` never
 * touches it (no cookie).
 */
function cachingApp() {
  const app = sessionApp(definition)
  const respond = async (c: Context) =>
    c.text('ok', 200, (await c.req.json()) as Record<string, string>)
  app.post('/count', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return respond(c)
  })
  app.post('/logout', async (c) => {
    await c.var.session.flush()
    return respond(c)
  })
  app.post('/static', (c) => respond(c))
  return app
}

/** The response of `path` for a handler that sets `headers`, with a session cookie sent along. */
async function responseWith(path: string, headers: Record<string, string>) {
  const app = cachingApp()
  const cookie = sessionCookie(await app.request('/count', { method: 'POST', body: '{}' }))!
  return app.request(path, {
    method: 'POST',
    body: JSON.stringify(headers),
    headers: { Cookie: `id=${cookie.value}` },
  })
}

describe('a response that sets the session cookie gets a Cache-Control no shared cache stores', () => {
  it.each([
    ['absent (heuristic freshness)', undefined, 'private'],
    ['empty', '', 'private'],
    ['max-age alone', 'max-age=60', 'private, max-age=60'],
    ['max-age=0', 'max-age=0', 'private, max-age=0'],
    ['no-cache (stored, then revalidated)', 'no-cache', 'private, no-cache'],
    ['must-revalidate', 'max-age=60, must-revalidate', 'private, max-age=60, must-revalidate'],
    ['public', 'public, max-age=600', 'private, max-age=600'],
    ['s-maxage', 'max-age=60, s-maxage=3600', 'private, max-age=60'],
    ['odd casing', 'Public, Max-Age=600, S-MAXAGE=3600', 'private, Max-Age=600'],
    [
      'odd spacing',
      '  max-age=60 ,public,,  stale-if-error=30 ',
      'private, max-age=60, stale-if-error=30',
    ],
    ['a qualified private', 'private="Set-Cookie", max-age=60', 'private, max-age=60'],
    ['a qualified no-cache', 'no-cache="Set-Cookie"', 'private, no-cache="Set-Cookie"'],
    [
      '"private" inside a quoted argument',
      'max-age=60, ext="a, private"',
      'private, max-age=60, ext="a, private"',
    ],
  ])('%s: %j becomes %j', async (_case, given, expected) => {
    const response = await responseWith(
      '/count',
      given === undefined ? {} : { 'Cache-Control': given }
    )
    expect(sessionCookie(response)).toBeDefined()
    expect(response.headers.get('Cache-Control')).toBe(expected)
  })

  it.each([
    ['private', 'private, max-age=60'],
    ['PRIVATE', 'PRIVATE'],
    ['no-store', 'no-store'],
    ['No-Store with public', 'public, No-Store, max-age=600'],
  ])('%s is kept as it is: %j', async (_case, given) => {
    const response = await responseWith('/count', { 'Cache-Control': given })
    expect(sessionCookie(response)).toBeDefined()
    expect(response.headers.get('Cache-Control')).toBe(given)
  })

  it('applies to the removal cookie of a logout too', async () => {
    const response = await responseWith('/logout', { 'Cache-Control': 'public, max-age=600' })
    expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
    expect(response.headers.get('Cache-Control')).toBe('private, max-age=600')
  })

  it('applies to a redirect whose headers are immutable (Response.redirect)', async () => {
    const app = cachingApp()
    app.post('/login', async (c) => {
      await c.var.session.update('counter', (n) => n + 1)
      return Response.redirect('http://localhost/home', 302)
    })
    const response = await app.request('/login', { method: 'POST' })
    expect(response.status).toBe(302)
    expect(sessionCookie(response)).toBeDefined()
    expect(response.headers.get('Cache-Control')).toBe('private')
  })

  it('leaves the caching of a response without our cookie alone', async () => {
    const response = await responseWith('/static', {
      'Cache-Control': 'public, s-maxage=3600',
      'CDN-Cache-Control': 'max-age=600',
    })
    expect(sessionCookie(response)).toBeUndefined()
    expect(response.headers.get('Cache-Control')).toBe('public, s-maxage=3600')
    expect(response.headers.get('CDN-Cache-Control')).toBe('max-age=600')
    expect((await responseWith('/static', {})).headers.get('Cache-Control')).toBeNull()
  })
})

describe("a CDN's own caching field on a response that sets the session cookie", () => {
  it.each([
    ['CDN-Cache-Control', 'max-age=600', 'no-store'],
    ['CDN-Cache-Control', 'public, s-maxage=600', 'no-store'],
    ['CDN-Cache-Control', 'none', 'no-store'], // RFC 9213 §3.1: a field with no directive still wins
    ['CDN-Cache-Control', 'private;x=1', 'no-store'],
    ['Surrogate-Control', 'max-age=600', 'no-store'],
    ['Surrogate-Control', 'private', 'no-store'], // not a Surrogate-Control directive
    ['Surrogate-Control', 'no-store;edge1', 'no-store'], // targeted at one surrogate only
    ['Surrogate-Control', 'no-store-remote', 'no-store'],
  ])('%s: %j becomes %j', async (field, given, expected) => {
    const response = await responseWith('/count', { [field]: given })
    expect(response.headers.get(field)).toBe(expected)
    expect(response.headers.get('Cache-Control')).toBe('private')
  })

  it.each([
    ['CDN-Cache-Control', 'private'],
    ['CDN-Cache-Control', 'no-store'],
    ['CDN-Cache-Control', 'max-age=60, no-store'],
    ['Surrogate-Control', 'no-store'],
    ['Surrogate-Control', 'max-age=60, No-Store'],
  ])('%s: %j is kept as it is', async (field, given) => {
    const response = await responseWith('/count', { [field]: given })
    expect(response.headers.get(field)).toBe(given)
  })

  it('is not added when the handler gave none: the CDN then follows Cache-Control', async () => {
    const response = await responseWith('/count', { 'Cache-Control': 'max-age=60' })
    expect(response.headers.get('Cache-Control')).toBe('private, max-age=60')
    expect(response.headers.get('CDN-Cache-Control')).toBeNull()
    expect(response.headers.get('Surrogate-Control')).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, MemoryStore } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { OTHER_SECRET, SECRET, sessionApp, sessionCookie, setCookies } from '../helpers/http.js'
import { idOfCookie, recordOfCookie, TestStore } from '../helpers/stores.js'

// DESIGN.md §5: a malformed, tampered or foreign cookie is "no session": never an error, never a
// store lookup. Several cookies with our name: the first that verifies wins. Key rotation.

const definition = defineSession(z.object({ user: z.string().optional() }))

function tamperApp(options: Partial<SessionMiddlewareOptions> & { store: TestStore }) {
  const app = sessionApp(definition, options)
  app.get('/whoami', async (c) => c.json({ user: (await c.var.session.get('user')) ?? null }))
  app.post('/login/:user', async (c) => {
    await c.var.session.set('user', c.req.param('user'))
    return c.text('ok')
  })
  app.get('/untouched', (c) => c.text('plain'))
  return app
}

/** An app on a counting store, with one logged-in session ("ada") and its cookie value. */
async function withSession(options: Partial<SessionMiddlewareOptions> = {}) {
  const store = new TestStore()
  const app = tamperApp({ ...options, store })
  const value = sessionCookie(await app.request('/login/ada', { method: 'POST' }))!.value
  store.resetCounts()
  return { app, store, value }
}

function flip(value: string, index: number): string {
  const char = value[index] === 'A' ? 'B' : 'A'
  return value.slice(0, index) + char + value.slice(index + 1)
}

async function valueSignedWith(options: Partial<SessionMiddlewareOptions>, name = 'id') {
  const app = tamperApp({ ...options, store: new TestStore() })
  const response = await app.request('/login/mallory', { method: 'POST' })
  return sessionCookie(response, name)!.value
}

describe('a bad cookie is "no session"', () => {
  const cases: [string, (value: string) => string | Promise<string>][] = [
    ['garbage', () => 'garbage'],
    ['an empty value', () => ''],
    ['a truncated value', (value) => value.slice(0, -1)],
    ['only the id', (value) => idOfCookie(value)],
    ['a flipped character in the id', (value) => flip(value, 5)],
    ['a flipped last character of the id', (value) => flip(value, 21)],
    ['a flipped character in the tag', (value) => flip(value, 40)],
    ['a flipped last character of the tag', (value) => flip(value, 65)],
    [
      'a tag signed for another cookie name',
      () => valueSignedWith({ cookie: { name: 'other' } }, 'other'),
    ],
    ['a value signed with an unknown secret', () => valueSignedWith({ secret: OTHER_SECRET })],
    ['a padded tag', (value) => `${value}=`],
    ['a standard-base64 + in the tag', (value) => `${value.slice(0, 40)}+${value.slice(41)}`],
    ['a standard-base64 / in the tag', (value) => `${value.slice(0, 40)}/${value.slice(41)}`],
    ['extra dots', (value) => `${value.slice(0, 22)}..${value.slice(23)}`],
    ['a dot instead of the separator', (value) => `${value.slice(0, 22)}-${value.slice(23)}`],
    ['a trailing dot', (value) => `${value}.`],
    ['a non-ASCII character', (value) => `${value.slice(0, 30)}é${value.slice(31)}`],
    ['a 10 KB value', () => 'a'.repeat(10 * 1024)],
    ['a 10 KB value that starts like a real one', (value) => value + 'a'.repeat(10 * 1024)],
    ['the id and tag swapped', (value) => `${value.slice(23)}.${value.slice(0, 22)}`],
  ]

  it.each(cases)('%s', async (_label, tamper) => {
    const { app, store, value } = await withSession()
    const bad = await tamper(value)
    expect(bad).not.toBe(value)
    const response = await app.request('/whoami', { headers: { Cookie: `id=${bad}` } })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ user: null })
    expect(store.calls.load).toBe(0)
    expect(setCookies(response)).toEqual([])
  })

  it('a bad cookie followed by a write gets a fresh session with a new id', async () => {
    const { app, store, value } = await withSession()
    const response = await app.request('/login/eve', {
      method: 'POST',
      headers: { Cookie: `id=${flip(value, 40)}` },
    })
    expect(response.status).toBe(200)
    const fresh = sessionCookie(response)!.value
    expect(idOfCookie(fresh)).not.toBe(idOfCookie(value))
    expect(store.calls.load).toBe(0)
    expect((await recordOfCookie(store, value))?.data).toEqual({ user: 'ada' })
    expect((await recordOfCookie(store, fresh))?.data).toEqual({ user: 'eve' })
  })

  it('a duplicated Cookie header of bad values', async () => {
    const { app, store } = await withSession()
    const headers = new Headers()
    headers.append('Cookie', 'id=garbage')
    headers.append('Cookie', 'id=garbage')
    const response = await app.request('/whoami', { headers })
    expect(await response.json()).toEqual({ user: null })
    expect(store.calls.load).toBe(0)
  })

  it('a duplicated Cookie header of the good value still finds the session', async () => {
    const { app, value } = await withSession()
    const headers = new Headers()
    headers.append('Cookie', `id=${value}`)
    headers.append('Cookie', `id=${value}`)
    const response = await app.request('/whoami', { headers })
    expect(await response.json()).toEqual({ user: 'ada' })
  })

  it('a quoted good value is accepted (RFC 6265 allows DQUOTEs)', async () => {
    const { app, value } = await withSession()
    const response = await app.request('/whoami', { headers: { Cookie: `id="${value}"` } })
    expect(await response.json()).toEqual({ user: 'ada' })
  })

  it('a good value under a name that only starts like ours is ignored', async () => {
    const { app, store, value } = await withSession()
    const response = await app.request('/whoami', { headers: { Cookie: `xid=${value}` } })
    expect(await response.json()).toEqual({ user: null })
    expect(store.calls.load).toBe(0)
  })
})

describe('several cookies with our name (cookie tossing)', () => {
  it('uses the first one that verifies, even when a bad one comes first', async () => {
    const { app, value } = await withSession()
    const response = await app.request('/whoami', {
      headers: { Cookie: `id=garbage; id=${flip(value, 40)}; id=${value}` },
    })
    expect(await response.json()).toEqual({ user: 'ada' })
  })

  it('skips one signed with an unknown secret by a sibling domain', async () => {
    const { app, value } = await withSession()
    const tossed = await valueSignedWith({ secret: OTHER_SECRET })
    const response = await app.request('/whoami', {
      headers: { Cookie: `id=${tossed}; other=1; id=${value}` },
    })
    expect(await response.json()).toEqual({ user: 'ada' })
  })

  it('uses the first of two that verify', async () => {
    const store = new TestStore()
    const app = tamperApp({ store })
    const ada = sessionCookie(await app.request('/login/ada', { method: 'POST' }))!.value
    const bob = sessionCookie(await app.request('/login/bob', { method: 'POST' }))!.value
    const first = await app.request('/whoami', { headers: { Cookie: `id=${bob}; id=${ada}` } })
    expect(await first.json()).toEqual({ user: 'bob' })
    const second = await app.request('/whoami', { headers: { Cookie: `id=${ada}; id=${bob}` } })
    expect(await second.json()).toEqual({ user: 'ada' })
  })

  it('a write saves into the session of the cookie that verified', async () => {
    const { app, store, value } = await withSession()
    const response = await app.request('/login/grace', {
      method: 'POST',
      headers: { Cookie: `id=garbage; id=${value}` },
    })
    expect(sessionCookie(response)?.value).toBe(value)
    expect((await recordOfCookie(store, value))?.data).toEqual({ user: 'grace' })
  })
})

describe('key rotation', () => {
  async function rotated() {
    const store = new TestStore(new MemoryStore())
    const oldApp = tamperApp({ store, secret: OTHER_SECRET })
    const old = sessionCookie(await oldApp.request('/login/ada', { method: 'POST' }))!.value
    const app = tamperApp({ store, secret: [SECRET, OTHER_SECRET] })
    const current = tamperApp({ store, secret: SECRET })
    store.resetCounts()
    return { store, old, app, current }
  }

  it('accepts a cookie signed with the previous secret', async () => {
    const { app, old } = await rotated()
    const response = await app.request('/whoami', { headers: { Cookie: `id=${old}` } })
    expect(await response.json()).toEqual({ user: 'ada' })
  })

  it('re-issues it signed with the current secret on a read-only request', async () => {
    const { app, current, old } = await rotated()
    const response = await app.request('/whoami', { headers: { Cookie: `id=${old}` } })
    const reissued = sessionCookie(response)
    expect(reissued).toBeDefined()
    expect(reissued!.value).not.toBe(old)
    expect(idOfCookie(reissued!.value)).toBe(idOfCookie(old))
    expect(reissued!.attributes).toMatchObject({ path: '/', httponly: true, secure: true })
    // The re-issued value verifies under the current secret alone.
    const check = await current.request('/whoami', {
      headers: { Cookie: `id=${reissued!.value}` },
    })
    expect(await check.json()).toEqual({ user: 'ada' })
  })

  it('re-issues it when the handler does not touch the session', async () => {
    const { app, old } = await rotated()
    const response = await app.request('/untouched', { headers: { Cookie: `id=${old}` } })
    const reissued = sessionCookie(response)
    expect(reissued).toBeDefined()
    expect(idOfCookie(reissued!.value)).toBe(idOfCookie(old))
    expect(reissued!.value).not.toBe(old)
  })

  it('re-issues it signed with the current secret when the handler writes', async () => {
    const { app, current, old, store } = await rotated()
    const response = await app.request('/login/grace', {
      method: 'POST',
      headers: { Cookie: `id=${old}` },
    })
    const reissued = sessionCookie(response)!.value
    expect(idOfCookie(reissued)).toBe(idOfCookie(old))
    expect((await recordOfCookie(store, reissued))?.data).toEqual({ user: 'grace' })
    const check = await current.request('/whoami', { headers: { Cookie: `id=${reissued}` } })
    expect(await check.json()).toEqual({ user: 'grace' })
  })

  it('does not re-issue a cookie signed with the current secret', async () => {
    const { app, old } = await rotated()
    const reissued = sessionCookie(
      await app.request('/whoami', { headers: { Cookie: `id=${old}` } })
    )!.value
    const response = await app.request('/whoami', { headers: { Cookie: `id=${reissued}` } })
    expect(await response.json()).toEqual({ user: 'ada' })
    expect(setCookies(response)).toEqual([])
  })

  it('removes, and does not re-issue, an old cookie whose session is gone', async () => {
    const { app, old, store } = await rotated()
    await store.inner.close()
    const response = await app.request('/untouched', { headers: { Cookie: `id=${old}` } })
    expect(setCookies(response)).toMatchObject([
      { name: 'id', value: '', attributes: { 'max-age': '0' } },
    ])
  })

  it('rejects a cookie signed with a secret that is not in the ring, without a store load', async () => {
    const { app, store } = await rotated()
    const stranger = await valueSignedWith({
      secret: 'a third secret, which no app here has ever used',
    })
    const response = await app.request('/whoami', { headers: { Cookie: `id=${stranger}` } })
    expect(await response.json()).toEqual({ user: null })
    expect(setCookies(response)).toEqual([])
    expect(store.calls.load).toBe(0)
  })
})

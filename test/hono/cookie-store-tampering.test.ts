import { afterEach, describe, expect, it, vi } from 'vitest'
import { Expiry, MemoryStore } from 'typed-sessions'
import { cookieStoreApp, openCookie } from '../helpers/cookie-store-app.js'
import { CookieJar, OTHER_SECRET, SECRET, sessionApp, sessionCookie } from '../helpers/http.js'
import { cookieSession } from '../helpers/cookie-store-app.js'

// DESIGN.md §5 and §9: a sealed cookie that is tampered with, truncated, sealed under another
// key or for another cookie name, or expired, is "no session": a 200 with an empty session,
// never an error. A cookie sealed under a retired key of the ring is re-sealed under the current.

afterEach(() => {
  vi.useRealTimers()
})

/** A session of "ada" with 2 counted, sealed by an app with `options`; its cookie value. */
async function adaCookie(options: Parameters<typeof cookieStoreApp>[0] = {}) {
  const jar = new CookieJar(cookieStoreApp(options))
  await jar.text('/login/ada', { method: 'POST' })
  await jar.text('/')
  await jar.text('/')
  return jar.cookies.get(options.cookie?.name ?? 'id')!
}

/** What `/peek` answers on the default cookie-store app for the Cookie header `cookie`. */
async function peekWith(cookie: string, app = cookieStoreApp()) {
  const response = await app.request('/peek', { headers: { cookie } })
  return { status: response.status, body: await response.text(), set: sessionCookie(response) }
}

function flip(value: string, index: number): string {
  return value.slice(0, index) + (value[index] === 'A' ? 'B' : 'A') + value.slice(index + 1)
}

describe('a sealed cookie', () => {
  it('opens as the session it carries', async () => {
    expect(await peekWith(`id=${await adaCookie()}`)).toMatchObject({ body: '2 ada' })
  })

  it('tampered at any position is no session', async () => {
    const value = await adaCookie()
    for (const index of [0, 10, 23, 24, Math.floor(value.length / 2), value.length - 1]) {
      const seen = await peekWith(`id=${flip(value, index)}`)
      expect([index, seen.status, seen.body, seen.set]).toEqual([index, 200, '0 -', undefined])
    }
  })

  it('truncated, extended or emptied is no session', async () => {
    const value = await adaCookie()
    for (const forged of [value.slice(0, -1), value.slice(0, 40), `${value}A`, '', 'x.y']) {
      expect(await peekWith(`id=${forged}`)).toMatchObject({ status: 200, body: '0 -' })
    }
  })

  it('sealed under a secret not in the ring is no session', async () => {
    const value = await adaCookie({ secret: OTHER_SECRET })
    expect(await peekWith(`id=${value}`)).toMatchObject({ status: 200, body: '0 -' })
  })

  it('sealed for another cookie name is no session under this one', async () => {
    const value = await adaCookie({ cookie: { name: 'other' } })
    expect(await peekWith(`other=${value}`)).toMatchObject({ body: '0 -' })
    expect(await peekWith(`id=${value}`)).toMatchObject({ status: 200, body: '0 -' })
  })

  it('in the signed-id format of a server store is no session', async () => {
    const app = sessionApp(cookieSession, { store: new MemoryStore() })
    app.post('/login', async (c) => {
      await c.var.session.set('user', 'ada')
      return c.text('in')
    })
    const signed = sessionCookie(await app.request('/login', { method: 'POST' }))!.value
    expect(await peekWith(`id=${signed}`)).toMatchObject({ status: 200, body: '0 -' })
  })

  it('replayed after it expired is no session, whatever Max-Age the client kept', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const value = await adaCookie({ expiry: Expiry.onInactivity(600) })
    vi.setSystemTime(new Date('2030-01-01T00:09:59Z'))
    const app = cookieStoreApp({ expiry: Expiry.onInactivity(600) })
    expect(await peekWith(`id=${value}`, app)).toMatchObject({ body: '2 ada' })
    vi.setSystemTime(new Date('2030-01-01T00:10:00Z'))
    expect(await peekWith(`id=${value}`, app)).toMatchObject({ status: 200, body: '0 -' })
  })

  it('is found behind forged same-name cookies (cookie tossing)', async () => {
    const value = await adaCookie()
    const tossed = `id=${flip(value, 30)}; id=garbage; id=${value}`
    expect(await peekWith(tossed)).toMatchObject({ body: '2 ada' })
  })

  it('sealed under a retired key is read, and re-sealed under the current key', async () => {
    const value = await adaCookie({ secret: OTHER_SECRET })
    const rotating = cookieStoreApp({ secret: [SECRET, OTHER_SECRET] })
    const seen = await peekWith(`id=${value}`, rotating)
    expect(seen.body).toBe('2 ada')
    const resealed = seen.set!.value
    expect(openCookie(resealed, OTHER_SECRET)).toBeUndefined()
    const record = openCookie(resealed, SECRET)!
    // Re-sealed as it was, not saved: same id, same version, same expiry.
    expect(record).toEqual(openCookie(value, OTHER_SECRET))
    expect(await peekWith(`id=${resealed}`)).toMatchObject({ body: '2 ada', set: undefined })
  })
})

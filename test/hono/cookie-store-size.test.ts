import { describe, expect, it } from 'vitest'
import { RecordSealer } from '../../src/cookie/sealed-record.js'
import { cookieStoreApp, openCookie } from '../helpers/cookie-store-app.js'
import { CookieJar, SECRET, sessionCookie } from '../helpers/http.js'
import { makeRecord } from '../helpers/store-conformance.js'

// DESIGN.md §9: a record whose cookie (`name=value`) would exceed 4096 bytes is refused at save
// with COOKIE_TOO_LARGE, never sent truncated (a browser would silently drop it).

/** The longest note `app` accepts, by bisection, and the cookie it was given for it. */
async function longestNote(app: ReturnType<typeof cookieStoreApp>, name = 'id') {
  let fits = 0
  let tooLong = 8192
  let cookie = ''
  while (tooLong - fits > 1) {
    const length = Math.floor((fits + tooLong) / 2)
    const response = await app.request('/note', { method: 'POST', body: 'n'.repeat(length) })
    if (response.status === 200) {
      fits = length
      cookie = `${name}=${sessionCookie(response, name)!.value}`
    } else {
      expect([response.status, await response.text()]).toEqual([500, 'COOKIE_TOO_LARGE'])
      expect(sessionCookie(response, name)).toBeUndefined()
      tooLong = length
    }
  }
  return { length: fits, cookieBytes: new TextEncoder().encode(cookie).length }
}

describe('the size of a sealed session', () => {
  it('is measured exactly: the largest session that fits comes within a byte or two of 4096', async () => {
    for (const name of ['id', 'session']) {
      const { cookieBytes } = await longestNote(cookieStoreApp({ cookie: { name } }), name)
      // One more byte of plaintext adds one or two base64url characters.
      expect(cookieBytes).toBeLessThanOrEqual(4096)
      expect(cookieBytes).toBeGreaterThanOrEqual(4095)
    }
  })

  it('follows a lower maxCookieSize', async () => {
    const { cookieBytes } = await longestNote(cookieStoreApp({}, { maxCookieSize: 1000 }))
    expect(cookieBytes).toBeLessThanOrEqual(1000)
    expect(cookieBytes).toBeGreaterThanOrEqual(999)
  })

  it('over the limit fails the request with COOKIE_TOO_LARGE, and the old cookie still works', async () => {
    const app = cookieStoreApp()
    const jar = new CookieJar(app)
    await jar.text('/login/ada', { method: 'POST' })
    const before = jar.cookies.get('id')
    const response = await jar.fetch('/note', { method: 'POST', body: 'n'.repeat(5000) })
    expect([response.status, await response.text()]).toEqual([500, 'COOKIE_TOO_LARGE'])
    expect(response.headers.getSetCookie()).toEqual([])
    expect(jar.cookies.get('id')).toBe(before)
    expect(await jar.text('/peek')).toBe('0 ada')
  })

  it('is refused at an explicit save, with a message that gives the size and what to do', async () => {
    const app = cookieStoreApp()
    const jar = new CookieJar(app)
    await jar.text('/login/ada', { method: 'POST' })
    const response = await jar.fetch('/note-saved', { method: 'POST', body: 'n'.repeat(5000) })
    expect(response.status).toBe(413)
    const message = await response.text()
    expect(message).toMatch(/would take \d{4} bytes, over the 4096-byte limit/)
    expect(message).toMatch(/keep less in the session/i)
    expect(message).toMatch(/server store/)
    // The handler recovered by keeping less: the session without the note was saved.
    expect(openCookie(jar.cookies.get('id')!)?.data).toEqual({ user: 'ada' })
    expect(await jar.text('/peek')).toBe('0 ada')
  })

  it('grows with unicode by its UTF-8 bytes, not its characters', async () => {
    const app = cookieStoreApp()
    const ascii = await app.request('/note', { method: 'POST', body: 'n'.repeat(2000) })
    expect(ascii.status).toBe(200)
    const wide = await app.request('/note', { method: 'POST', body: '€'.repeat(2000) })
    expect([wide.status, await wide.text()]).toEqual([500, 'COOKIE_TOO_LARGE'])
  })

  it('is predicted by sealedLength to the character, for every padding remainder', () => {
    const sealer = new RecordSealer(SECRET, 'id')
    for (let length = 0; length < 12; length++) {
      const record = makeRecord('k'.repeat(22), { data: { note: 'é'.repeat(length) } })
      const options = length % 2 === 0 ? {} : { absoluteExpiresAt: Date.now() + 1000 }
      expect(sealer.sealedLength(record, options)).toBe(sealer.seal(record, options).length)
    }
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { Expiry, MemoryStore } from 'typed-sessions'
import { cookieSession, cookieStoreApp, openCookie } from '../helpers/cookie-store-app.js'
import { CookieJar, sessionApp, sessionCookie } from '../helpers/http.js'

// Issue 15, item 4: a sealed cookie cannot be revoked, and each write re-seals it with a fresh
// expiry, so without an absolute bound a copied cookie would renew itself for ever. Cookie mode
// defaults `absoluteTimeout` to 12 hours (OWASP ASVS 4.0.3 V3.3.2, levels 2 and 3);
// `absoluteTimeout: Infinity` opts out.

const START = Date.parse('2030-01-01T00:00:00Z')
const HOUR = 60 * 60 * 1000

afterEach(() => {
  vi.useRealTimers()
})

/** Sets the clock `hours` after START. */
function at(hours: number) {
  vi.setSystemTime(START + hours * HOUR)
}

/** A jar that counts once an hour from START for `hours` hours, re-sealing the cookie each time. */
async function countHourly(jar: CookieJar, hours: number) {
  for (let hour = 0; hour < hours; hour++) {
    at(hour)
    expect(await jar.text('/')).toBe(String(hour))
  }
}

describe('a cookie-store session without an absoluteTimeout', () => {
  it('stops opening 12 hours after it began, though it was rewritten every hour', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const jar = new CookieJar(cookieStoreApp())
    await countHourly(jar, 12)
    const copy = jar.cookies.get('id')!
    expect(openCookie(copy)!.createdAt).toBe(START)
    vi.setSystemTime(START + 12 * HOUR - 1)
    expect(await jar.text('/peek')).toBe('12 -')
    at(12)
    expect(await jar.text('/peek')).toBe('0 -')
    // A stolen copy of the last cookie is dead too, in an app with no state of its own.
    const thief = new CookieJar(cookieStoreApp())
    thief.cookies.set('id', copy)
    expect(await thief.text('/peek')).toBe('0 -')
  })

  it('starts a new session on the next write, with a lifetime of its own', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const jar = new CookieJar(cookieStoreApp())
    await countHourly(jar, 12)
    at(12)
    expect(await jar.text('/')).toBe('0')
    expect(openCookie(jar.cookies.get('id')!)!.createdAt).toBe(START + 12 * HOUR)
  })

  it("caps the cookie's Max-Age at what is left of the 12 hours", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const app = cookieStoreApp({ expiry: Expiry.onInactivity(24 * 60 * 60) })
    const jar = new CookieJar(app)
    at(0)
    expect(sessionCookie(await jar.fetch('/'))!.attributes['max-age']).toBe('43200')
    at(10)
    expect(sessionCookie(await jar.fetch('/'))!.attributes['max-age']).toBe('7200')
  })
})

describe('the absolute lifetime can be chosen', () => {
  it('absoluteTimeout: Infinity lets a used cookie session live on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const jar = new CookieJar(cookieStoreApp({ absoluteTimeout: Infinity }))
    for (let day = 0; day < 30; day++) {
      at(day * 24)
      expect(await jar.text('/')).toBe(String(day))
    }
    expect(sessionCookie(await jar.fetch('/'))!.attributes).not.toHaveProperty('max-age')
  })

  it('an explicit absoluteTimeout replaces the default', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const jar = new CookieJar(cookieStoreApp({ absoluteTimeout: 24 * 60 * 60 }))
    await countHourly(jar, 20)
    expect(await jar.text('/peek')).toBe('20 -')
    at(24)
    expect(await jar.text('/peek')).toBe('0 -')
  })

  it('a server store keeps its default of no absolute limit', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const app = sessionApp(cookieSession, { store: new MemoryStore() })
    app.get('/', async (c) => c.text(String(await c.var.session.update('counter', (n) => n + 1))))
    const jar = new CookieJar(app)
    for (let hour = 0; hour <= 48; hour += 6) {
      at(hour)
      expect(await jar.text('/')).toBe(String(hour / 6 + 1))
    }
  })
})

import { describe, expect, it } from 'vitest'
import { CookieStore } from 'typed-sessions'
import { sessionMiddleware, type SessionMiddlewareOptions } from 'typed-sessions/hono'
import { cookieSession } from '../helpers/cookie-store-app.js'
import { configErrorOf } from '../helpers/config-errors.js'
import { SECRET } from '../helpers/http.js'

// Issue 15, item 4: the cookie store seals whole records under its secret, so a guessed secret
// mints any session (`{ user: 'root' }`). It refuses the secrets the signed cookies refuse, with
// the same CONFIG messages (one check, src/cookie/secret.ts).

/** The CONFIG error of a middleware built with `secret`, in cookie mode or signed mode. */
function secretErrorOf(secret: unknown, store?: CookieStore) {
  const options = { secret, ...(store === undefined ? {} : { store }) }
  return configErrorOf(() => sessionMiddleware(cookieSession, options as SessionMiddlewareOptions))
}

describe('a CookieStore middleware refuses the secrets the signed cookies refuse', () => {
  it.each([
    ['a missing secret', undefined, /No cookie secret was given/],
    ['an unset environment variable', '', /environment variable/],
    ['null', null, /No cookie secret/],
    ['a short secret', 'short but secret', /shorter than 32 characters/],
    ["'a'.repeat(32)", 'a'.repeat(32), /fewer than 8 distinct characters/],
    ['a repeated pattern', 'abcdefg'.repeat(6), /fewer than 8 distinct characters/],
    ['an empty key ring', [], /empty array/],
    ['a weak previous secret', [SECRET, 'x'.repeat(40)], /`secret\[1\]` has fewer than 8/],
    ['a number in the ring', [SECRET, 42], /`secret\[1\]` must be a string, not number/],
  ])('%s, with the message of the signed mode', (_case, secret, message) => {
    const sealed = secretErrorOf(secret, new CookieStore())
    expect(sealed.message).toMatch(message)
    expect(sealed.message).toBe(secretErrorOf(secret).message)
  })

  it('never puts the refused secret in the message', () => {
    const weak = 'hunter2hunter2hunter2hunter2hunter2'
    expect(secretErrorOf(weak, new CookieStore()).message).not.toContain('hunter2')
  })

  it('accepts a secret the signed mode accepts', () => {
    expect(() =>
      sessionMiddleware(cookieSession, { secret: SECRET, store: new CookieStore() })
    ).not.toThrow()
  })
})

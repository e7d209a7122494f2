import type { Hono } from 'hono'
import { expect } from 'vitest'
import { CookieJar } from '../../src/testing/cookie-jar.js'

// The app, the cookie parsing and the jar of the suites live in the package (src/testing/).
export { SECRET, sessionApp } from '../../src/testing/session-app.js'
export { CookieJar, sessionCookie, setCookies } from '../../src/testing/cookie-jar.js'
export type { SetCookie } from '../../src/testing/cookie-jar.js'

/** A second secret, for tests that rotate keys (`SECRET` is the first). */
export const OTHER_SECRET = 'another secret, also thirty-two characters or more'

/**
 * Two visitors count on `app` (the counter of examples/): each has their own count. Returns
 * their jars, for checks of what the store holds (alice at 3, bob at 1).
 */
export async function countTwoVisitors(app: { request: Hono['request'] }) {
  const alice = new CookieJar(app)
  const bob = new CookieJar(app)
  const counts = [
    await alice.text('/'),
    await alice.text('/'),
    await bob.text('/'),
    await alice.text('/'),
  ]
  expect(counts).toEqual([
    'Current count: 0',
    'Current count: 1',
    'Current count: 0',
    'Current count: 2',
  ])
  return { alice, bob }
}

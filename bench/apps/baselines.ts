import type { RequestListener } from 'node:http'
import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'

/** The baseline: Hono with no middleware, the body a counter's first visit would get. */
export function buildBareApp(): Hono {
  const app = new Hono()
  app.get('/', (c) => c.text('Current count: 0'))
  return app
}

/**
 * Bare plus one middleware that only awaits `next()`: the dispatch turns async, which is a cost
 * every middleware pays before doing anything.
 */
export function buildEmptyMiddlewareApp(): Hono {
  const app = new Hono()
  app.use(async (_c, next) => {
    await next()
  })
  app.get('/', (c) => c.text('Current count: 0'))
  return app
}

/** A signed session cookie's length (22-character id, '.', 43-character tag). */
const COOKIE_VALUE = 'x'.repeat(66)

/**
 * The practical floor of any cookie session: Hono setting one plain cookie of a session
 * cookie's size on every response. The extra header alone takes `@hono/node-server` off its
 * fastest path for plain bodies, so no session library can be cheaper than this.
 */
export function buildPlainCookieApp(): Hono {
  const app = new Hono()
  app.get('/', (c) => {
    setCookie(c, 'id', COOKIE_VALUE, { path: '/', httpOnly: true, sameSite: 'Lax' })
    return c.text('Current count: 0')
  })
  return app
}

/**
 * The cross-check of the bare figure: the same response from Node's own `http` module, without
 * Hono or its Node adapter. Bare Hono should cost somewhat more than this, never less.
 */
export const plainNodeListener: RequestListener = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' })
  response.end('Current count: 0')
}

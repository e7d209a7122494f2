import type { Context } from 'hono'
import { applySessionHeaders, type SessionHeaders } from '../web/response-headers.js'

/**
 * Adds the session's headers (`SessionHeaders`) to the handler's response, in place. `c.header`
 * would copy a finished Response first, which costs the Node adapter its fast path for plain
 * bodies; only a Response whose headers are immutable (`Response.redirect()`, a proxied
 * `fetch()`) is copied, once.
 */
export function writeHeaders(c: Context, session: SessionHeaders): void {
  try {
    applySessionHeaders(c.res.headers, session)
  } catch {
    // Immutable headers (a TypeError): Hono's setter makes a mutable copy of the Response.
    c.res = new Response(c.res.body, c.res)
    applySessionHeaders(c.res.headers, session)
  }
}

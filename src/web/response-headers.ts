import type { Context } from 'hono'
import {
  privateCacheControl,
  SHARED_CACHE_FIELDS,
  unstorableSharedControl,
} from './shared-cache.js'

/**
 * Adds `Set-Cookie` and `Vary: Cookie` to the handler's response, in place. `c.header` would
 * copy a finished Response first, which costs the Node adapter its fast path for plain bodies;
 * only a Response whose headers are immutable (`Response.redirect()`, a proxied `fetch()`) is
 * copied, once. Header names are written in lower case, as undici keeps them: its `get` and
 * `set` lower-case every name, which costs least on one that already is.
 *
 * A response that sets our cookie always varies on Cookie, and no shared cache may store it
 * (`shared-cache.ts`): its `Cache-Control` is made `private` unless it already forbids that,
 * and a CDN's own caching field, when present, says `no-store`.
 */
export function writeHeaders(c: Context, setCookie: string | undefined, vary: boolean): void {
  const varyValue = vary ? withCookie(c.res.headers.get('vary')) : undefined
  if (setCookie === undefined && varyValue === undefined) return
  let headers = c.res.headers
  for (let attempt = 0; ; attempt++) {
    try {
      if (varyValue !== undefined) headers.set('vary', varyValue)
      if (setCookie !== undefined) {
        const cacheControl = privateCacheControl(headers.get('cache-control'))
        if (cacheControl !== undefined) headers.set('cache-control', cacheControl)
        for (const field of SHARED_CACHE_FIELDS) {
          const safe = unstorableSharedControl(field, headers.get(field))
          if (safe !== undefined) headers.set(field, safe)
        }
        headers.append('set-cookie', setCookie)
      }
      return
    } catch (error) {
      // Immutable headers (a TypeError): Hono's setter makes a mutable copy of the Response.
      if (attempt > 0) throw error
      c.res = new Response(c.res.body, c.res)
      headers = c.res.headers
    }
  }
}

/** The Vary value with `Cookie` added, or undefined if it already covers cookies. */
function withCookie(vary: string | null): string | undefined {
  if (vary === 'Cookie') return undefined // the usual case: added when the session was first used
  if (vary === null || vary.trim() === '') return 'Cookie'
  if (/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(vary)) return undefined
  return `${vary}, Cookie`
}

import type { Context } from 'hono'

/**
 * Adds `Set-Cookie` and `Vary: Cookie` to the handler's response, in place. `c.header` would
 * copy a finished Response first, which costs the Node adapter its fast path for plain bodies;
 * only a Response whose headers are immutable (`Response.redirect()`, a proxied `fetch()`) is
 * copied, once.
 *
 * A response that sets our cookie always varies on Cookie, and one that a shared cache could
 * store (`Cache-Control: public` or `s-maxage`) is made `private`: a cache must never hand one
 * visitor's session cookie to another (the class of Flask's CVE-2023-30861).
 */
export function writeHeaders(c: Context, setCookie: string | undefined, vary: boolean): void {
  const varyValue = vary ? withCookie(c.res.headers.get('Vary')) : undefined
  const cacheControl =
    setCookie === undefined ? undefined : privateCacheControl(c.res.headers.get('Cache-Control'))
  if (setCookie === undefined && varyValue === undefined) return
  let headers = c.res.headers
  for (let attempt = 0; ; attempt++) {
    try {
      if (varyValue !== undefined) headers.set('Vary', varyValue)
      if (cacheControl !== undefined) headers.set('Cache-Control', cacheControl)
      if (setCookie !== undefined) headers.append('Set-Cookie', setCookie)
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

/**
 * `Cache-Control` with what lets a shared cache store the response (`public`, `s-maxage`)
 * replaced by `private`; undefined when it needs no change.
 */
function privateCacheControl(value: string | null): string | undefined {
  if (value === null || !/public|s-maxage/i.test(value)) return undefined
  const directives = value
    .split(',')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && !/^(public|s-maxage\s*=.*)$/i.test(directive))
  if (!directives.some((directive) => /^private\b/i.test(directive))) directives.unshift('private')
  return directives.join(', ')
}

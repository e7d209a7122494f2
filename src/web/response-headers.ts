import {
  privateCacheControl,
  SHARED_CACHE_FIELDS,
  unstorableSharedControl,
} from './shared-cache.js'

/** What a response must carry for the session, as the request core decided it after the handler. */
export interface SessionHeaders {
  /** A `Set-Cookie` value to append: the session cookie, or its removal. */
  readonly setCookie: string | undefined
  /** The token for the token response header; `''` is the removal signal of a logout. */
  readonly token: string | undefined
  /** The response header the token goes in, lower-case. */
  readonly tokenHeader: string
  /** The fields the response must vary on (`Cookie`, the token header), or undefined. */
  readonly vary: string | undefined
}

/**
 * Writes the session's headers into `headers`: `Set-Cookie`, the token header and `Vary`. Header
 * names are written in lower case, as undici keeps them: its `get` and `set` lower-case every
 * name, which costs least on one that already is. Throws a `TypeError` on immutable headers
 * (`Response.redirect()`, a proxied `fetch()`): the caller copies the Response and calls again.
 *
 * A response that carries the session's cookie or token varies on it, and no shared cache may
 * store it (`shared-cache.ts`): its `Cache-Control` is made `private` unless it already forbids
 * that, and a CDN's own caching field, when present, says `no-store`.
 */
export function applySessionHeaders(headers: Headers, session: SessionHeaders): void {
  const { setCookie, token } = session
  const vary =
    session.vary === undefined ? undefined : withFields(headers.get('vary'), session.vary)
  if (setCookie === undefined && token === undefined && vary === undefined) return
  if (vary !== undefined) headers.set('vary', vary)
  if (setCookie !== undefined || token !== undefined) {
    const cacheControl = privateCacheControl(headers.get('cache-control'))
    if (cacheControl !== undefined) headers.set('cache-control', cacheControl)
    for (const field of SHARED_CACHE_FIELDS) {
      const safe = unstorableSharedControl(field, headers.get(field))
      if (safe !== undefined) headers.set(field, safe)
    }
  }
  if (setCookie !== undefined) headers.append('set-cookie', setCookie)
  if (token !== undefined) headers.set(session.tokenHeader, token)
}

/** The Vary value with `fields` (`Cookie`, or `Cookie, Authorization`) added, or undefined if it covers them. */
function withFields(vary: string | null, fields: string): string | undefined {
  if (vary === fields) return undefined // the usual case: added when the session was first used
  if (vary === null || vary.trim() === '') return fields
  if (hasField(vary, '*')) return undefined
  let result = vary
  for (const field of fields.split(', ')) if (!hasField(result, field)) result += `, ${field}`
  return result === vary ? undefined : result
}

/** Whether the comma-separated list `vary` names `field` (in any case). */
function hasField(vary: string, field: string): boolean {
  const lower = field.toLowerCase()
  for (const item of vary.split(',')) if (item.trim().toLowerCase() === lower) return true
  return false
}

import type { CookieOptions } from '../cookie/header.js'
import type { SessionEvents } from '../core/events.js'
import type { Expiry } from '../core/expiry.js'
import type { SessionStore } from '../core/store.js'

/**
 * Where the signed session id travels: `'cookie'` (browsers), `'header'` (API, mobile and RPC
 * clients: `Authorization: Bearer …` or a header you name), or `'both'`, where each request is
 * answered the way it came (see `SessionOptions.transport`).
 */
export type SessionTransport = 'cookie' | 'header' | 'both'

/** The header of the header transport. */
export interface HeaderTransportOptions {
  /** The request header the token is read from (any case). @default 'authorization' */
  name?: string | undefined
  /**
   * The authentication scheme before the token (`Authorization: Bearer <token>`), matched in any
   * case; `false` for a header that holds the bare token.
   * @default 'Bearer' for the Authorization header, none for another name
   */
  scheme?: string | false | undefined
  /**
   * The response header the token is sent back in, bare (no scheme); an empty value is the
   * removal signal of a logout. A browser on another origin reads it only when CORS lists it in
   * `Access-Control-Expose-Headers`.
   * @default 'set-auth-token' for the Authorization header, else `name`
   */
  responseName?: string | undefined
}

/** The options every entry point shares: `sessionMiddleware`, `fetchSessions`. */
export interface SessionOptions {
  /**
   * Rolling sessions without a write per request: an unmodified session that the handler read is
   * re-saved (and its cookie re-sent) only when that would move its expiry by more than this many
   * seconds. Pair with `Expiry.onInactivity`. @default undefined (only modified sessions are saved)
   */
  touchAfter?: number
  /**
   * Where sessions are stored; a `CookieStore` keeps the whole session in the cookie instead.
   * @default a MemoryStore shared by every middleware built from the same definition (per
   * process, in memory: use a server store in production)
   */
  store?: SessionStore
  /**
   * The cookie-signing secret, at least 32 characters; or a key ring `[current, ...previous]`:
   * the first signs, all verify, and a cookie verified with an older one is re-issued.
   */
  secret: string | readonly string[]
  /**
   * The session cookie's name and attributes. With the header transport the name still binds
   * the token's signature, so a token is the value a cookie of that name would hold.
   */
  cookie?: CookieOptions
  /** The expiry of sessions that do not `setExpiry`. @default Expiry.onSessionEnd() */
  expiry?: Expiry
  /**
   * Seconds after creation at which any session ends, whatever its expiry and however often it
   * is saved; `Infinity` for no limit. @default undefined (no limit); with a `CookieStore`, 43200
   * (12 hours), since a sealed cookie cannot be revoked and a copy would otherwise renew itself
   */
  absoluteTimeout?: number
  /** Save (and refresh the cookie of) every non-empty session on every request. @default false */
  alwaysSave?: boolean
  /**
   * Milliseconds of store time a request may spend, its store calls and its waits behind other
   * saves of the session together; past it the request fails with `SessionError`
   * `STORE_UNAVAILABLE` (its `cause` a `TimeoutError`), and no cookie is set. @default 5000
   */
  storeTimeout?: number
  /**
   * Milliseconds a save keeps retrying compare-and-set conflicts with concurrent requests of the
   * same session (replaying this request's changes on the fresh record each time, with
   * randomized exponential backoff) before it fails with `CONFLICT`. @default 3000
   */
  conflictTimeout?: number
  /**
   * The most bytes of JSON a session's data may take: a write that would grow it past this is
   * refused with `INVALID_VALUE`, so no store is sent a record it chokes on. @default 1048576 (1 MiB)
   */
  maxSize?: number
  /**
   * Handlers of the sessions' lifecycle events (created, loaded, saved, cycled, flushed,
   * expired, invalid, conflict, storeError). Events never carry the session id or a secret.
   * @default undefined (none: nothing is built for them)
   */
  on?: SessionEvents
  /**
   * Where the signed id travels. `'header'`: read from the `header` (`Authorization: Bearer …`
   * by default) and sent back in its response header on create, on `cycleId` and on key
   * rotation, an empty value on logout; no cookie is read or set, so no CSRF protection is
   * needed. `'both'`: a request is answered the way it came (a cookie request by cookie, a
   * token request by header), and one that came with neither gets both.
   * @default 'cookie'
   */
  transport?: SessionTransport
  /** The header of the `'header'` and `'both'` transports. @default { name: 'authorization', scheme: 'Bearer' } */
  header?: HeaderTransportOptions
}

import type { Context, MiddlewareHandler } from 'hono'
import type { CookieOptions } from '../cookie/header.js'
import {
  readCookieValues,
  resolveCookieOptions,
  serializeRemovalCookie,
  serializeSessionCookie,
} from '../cookie/header.js'
import { CookieSigner, type VerifiedCookie } from '../cookie/signer.js'
import { SessionError } from '../core/errors.js'
import type { Expiry } from '../core/expiry.js'
import { Session, type SessionConfig } from '../core/session.js'
import type { SessionStore } from '../core/store.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import { TypedSession } from '../schema/typed-session.js'
import { corruptRecordPolicy, recordUpgrader } from '../schema/upgrade.js'
import { MemoryStore } from '../stores/memory-store.js'

/** The Hono environment that types `c.var.session` for a session definition. */
export type SessionEnv<D extends SessionDefinition<SessionSchema>> = {
  Variables: { session: D extends SessionDefinition<infer S> ? TypedSession<S> : never }
}

/** Options of `sessionMiddleware`. */
export interface SessionMiddlewareOptions {
  /** Where sessions are stored. @default new MemoryStore() */
  store?: SessionStore
  /**
   * The cookie-signing secret, at least 32 characters; or a key ring `[current, ...previous]`:
   * the first signs, all verify, and a cookie verified with an older one is re-issued.
   */
  secret: string | readonly string[]
  /** The session cookie's name and attributes. */
  cookie?: CookieOptions
  /** The expiry of sessions that do not `setExpiry`. @default Expiry.onSessionEnd() */
  expiry?: Expiry
  /** Seconds after creation at which any session ends, whatever its expiry. @default undefined */
  absoluteTimeout?: number
  /** Save (and refresh the cookie of) every non-empty session on every request. @default false */
  alwaysSave?: boolean
  /**
   * Milliseconds a store call may take; one that has not settled by then fails the request with
   * `SessionError` `STORE_UNAVAILABLE` (its `cause` a `TimeoutError`), and no cookie is set for
   * what was not saved. @default 5000
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
}

/**
 * How many same-name cookie values are verified at most: a header stuffed with forged values
 * (cookie tossing) must not cost one HMAC each. Browsers send the most specific cookie first.
 */
const MAX_COOKIE_CANDIDATES = 4

/**
 * Sessions for Hono: reads and verifies the cookie, puts a `TypedSession` on `c.var.session`,
 * and after the handler saves and sets the cookie, removes it, or does nothing (Django's rule).
 * Configuration mistakes throw here, when the middleware is created.
 * @example
 * const app = new Hono<SessionEnv<typeof counterSession>>()
 * app.use(sessionMiddleware(counterSession, { secret: process.env.SESSION_SECRET! }))
 */
export function sessionMiddleware<S extends SessionSchema>(
  definition: SessionDefinition<S>,
  options: SessionMiddlewareOptions
): MiddlewareHandler<SessionEnv<SessionDefinition<S>>> {
  if (typeof options !== 'object' || options === null) {
    throw new SessionError(
      'CONFIG',
      'sessionMiddleware(definition, options) needs options with at least `secret`.'
    )
  }
  const cookie = resolveCookieOptions(options.cookie)
  const signer = new CookieSigner(options.secret, cookie.name)
  checkPositive(
    options.absoluteTimeout,
    'absoluteTimeout',
    'a number of seconds',
    'no absolute limit'
  )
  checkPositive(options.storeTimeout, 'storeTimeout', 'a number of milliseconds', '5000')
  checkPositive(options.conflictTimeout, 'conflictTimeout', 'a number of milliseconds', '3000')
  checkPositive(options.maxSize, 'maxSize', 'a number of bytes', '1 MiB')
  const config: SessionConfig = {
    store: options.store ?? new MemoryStore(),
    schemaVersion: definition.version,
    upgrade: recordUpgrader(definition),
    onCorruptRecord: corruptRecordPolicy(definition),
  }
  if (options.expiry !== undefined) config.expiry = options.expiry
  if (options.absoluteTimeout !== undefined) config.absoluteTimeout = options.absoluteTimeout
  if (options.storeTimeout !== undefined) config.storeTimeout = options.storeTimeout
  if (options.conflictTimeout !== undefined) config.conflictTimeout = options.conflictTimeout
  if (options.maxSize !== undefined) config.maxSize = options.maxSize
  const alwaysSave = options.alwaysSave === true

  return async function session(c, next) {
    let verified: VerifiedCookie | undefined
    const header = c.req.header('cookie')
    if (header !== undefined) {
      // Cookie tossing (a sibling domain setting the same name) is defeated by taking the first
      // value that verifies, not the first value; only the first few are tried.
      const values = readCookieValues(header, cookie.name)
      for (let i = 0; i < values.length && i < MAX_COOKIE_CANDIDATES; i++) {
        verified = signer.verify(values[i]!)
        if (verified !== undefined) break
      }
    }
    const engine = new Session(config, verified?.id, () => {
      // Before the handler builds its response, a header is a cheap part of it; the check
      // after the handler adds it only to a response built without Hono's helpers.
      if (!c.finalized) c.header('Vary', 'Cookie', { append: true })
    })
    c.set('session', new TypedSession(definition, engine) as never)

    await next()

    try {
      await finish(c, engine, verified)
    } finally {
      // From here on the response is decided: a change from a stream would be lost, so it throws.
      engine.close()
    }
  }

  /** After the handler: save and set the cookie, remove it, or leave it (DESIGN.md §5, §8). */
  async function finish(c: Context, engine: Session, verified: VerifiedCookie | undefined) {
    const rotated = verified?.rotated === true
    const wantsSave = engine.isModified || alwaysSave
    if (!engine.isAccessed && !wantsSave && !rotated) return
    // Emptiness is only known once loaded (an unknown id turns out to be no session).
    if (wantsSave || rotated) await engine.load()
    const vary = engine.isAccessed
    if (!engine.isEmpty() && wantsSave && c.res.status < 500) await engine.save()
    // A concurrent login moved the session: the browser gets its new cookie from that request.
    if (engine.lostTo === 'login') return writeHeaders(c, undefined, vary)
    // Empty, flushed, or ended by a concurrent logout meanwhile (logout wins): forget the cookie.
    if (verified !== undefined && engine.isEmpty()) {
      return writeHeaders(c, serializeRemovalCookie(cookie), true)
    }
    if (c.res.status >= 500) return writeHeaders(c, undefined, vary)
    if (engine.wasSaved || rotated) {
      // A save (here or by the handler) issues the cookie; so does a cookie verified with a
      // retired key, re-signed under the current one with the record's remaining lifetime.
      const maxAge =
        engine.expiry.kind === 'onSessionEnd'
          ? undefined
          : engine.wasSaved
            ? engine.expiryAge()
            : engine.storedExpiryAge()
      const value = engine.wasSaved ? signer.sign(engine.id!) : verified!.value
      return writeHeaders(c, serializeSessionCookie(cookie, value, maxAge), true)
    }
    writeHeaders(c, undefined, vary)
  }
}

function checkPositive(value: number | undefined, option: string, unit: string, omitted: string) {
  if (value !== undefined && !(typeof value === 'number' && value > 0 && value < Infinity)) {
    throw new SessionError(
      'CONFIG',
      `${option} is ${unit} > 0, got ${String(value)}; omit it for ${omitted}.`
    )
  }
}

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
function writeHeaders(c: Context, setCookie: string | undefined, vary: boolean): void {
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

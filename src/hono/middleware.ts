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
import { recordUpgrader } from '../schema/upgrade.js'
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
}

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
  if (options.absoluteTimeout !== undefined && !(options.absoluteTimeout > 0)) {
    throw new SessionError(
      'CONFIG',
      `absoluteTimeout is a number of seconds > 0, got ${options.absoluteTimeout}; omit it for no absolute limit.`
    )
  }
  const config: SessionConfig = {
    store: options.store ?? new MemoryStore(),
    schemaVersion: definition.version,
    upgrade: recordUpgrader(definition),
  }
  if (options.expiry !== undefined) config.expiry = options.expiry
  if (options.absoluteTimeout !== undefined) config.absoluteTimeout = options.absoluteTimeout
  const alwaysSave = options.alwaysSave === true

  return async function session(c, next) {
    let verified: VerifiedCookie | undefined
    const header = c.req.header('cookie')
    if (header !== undefined) {
      // Cookie tossing (a sibling domain setting the same name) is defeated by taking the first
      // value that verifies, not the first value.
      for (const value of readCookieValues(header, cookie.name)) {
        verified = signer.verify(value)
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

    const rotated = verified?.rotated === true
    const wantsSave = engine.isModified || alwaysSave
    if (!engine.isAccessed && !wantsSave && !rotated) return
    // Emptiness is only known once loaded (an unknown id turns out to be no session).
    if (wantsSave || rotated) await engine.load()
    const empty = engine.isEmpty()
    if (verified !== undefined && empty) {
      return writeHeaders(c, serializeRemovalCookie(cookie), true)
    }
    const vary = engine.isAccessed
    if (c.res.status >= 500) return writeHeaders(c, undefined, vary)
    if (wantsSave && !empty) await engine.save()
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
      return writeHeaders(c, serializeSessionCookie(cookie, value, maxAge), vary)
    }
    writeHeaders(c, undefined, vary)
  }
}

/**
 * Adds `Set-Cookie` and `Vary: Cookie` to the handler's response, in place. `c.header` would
 * copy a finished Response first, which costs the Node adapter its fast path for plain bodies;
 * only a Response whose headers are immutable (`Response.redirect()`, a proxied `fetch()`) is
 * copied, once.
 */
function writeHeaders(c: Context, setCookie: string | undefined, vary: boolean): void {
  const varyValue = vary ? withCookie(c.res.headers.get('Vary')) : undefined
  if (setCookie === undefined && varyValue === undefined) return
  let headers = c.res.headers
  for (let attempt = 0; ; attempt++) {
    try {
      if (varyValue !== undefined) headers.set('Vary', varyValue)
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

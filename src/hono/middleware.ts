import type { MiddlewareHandler } from 'hono'
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
    const engine = new Session(config, verified?.id)
    c.set('session', new TypedSession(definition, engine) as never)

    await next()

    if (!engine.isAccessed && !alwaysSave && verified?.rotated !== true) return
    if (engine.isModified || alwaysSave) await engine.load()
    if (verified !== undefined && engine.isEmpty()) {
      c.header('Set-Cookie', serializeRemovalCookie(cookie), { append: true })
      varyOnCookie(c.res.headers)
      return
    }
    if (engine.isAccessed) varyOnCookie(c.res.headers)
    if (c.res.status >= 500) return
    if ((engine.isModified || alwaysSave) && !engine.isEmpty()) {
      await engine.save()
      const maxAge = engine.expiry.kind === 'onSessionEnd' ? undefined : engine.expiryAge()
      setCookie(signer.sign(engine.id!), maxAge)
    } else if (verified?.rotated === true) {
      // Re-issue a cookie signed with a retired key under the current one, with the stored
      // record's remaining lifetime; an unknown id is not re-issued.
      await engine.load()
      if (engine.id === undefined) return
      const maxAge = engine.expiry.kind === 'onSessionEnd' ? undefined : engine.storedExpiryAge()
      setCookie(verified.value, maxAge)
    }

    function setCookie(value: string, maxAge: number | undefined): void {
      c.header('Set-Cookie', serializeSessionCookie(cookie, value, maxAge), { append: true })
    }
  }
}

function varyOnCookie(headers: Headers): void {
  const vary = headers.get('Vary')
  if (vary === null) headers.set('Vary', 'Cookie')
  else if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(vary)) headers.set('Vary', `${vary}, Cookie`)
}

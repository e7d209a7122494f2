import { COOKIE_SIZE_LIMIT } from '../cookie/sealed-record.js'
import { SessionError } from '../core/errors.js'
import type { SessionRecord, SessionStore } from '../core/store.js'

/**
 * Seconds a cookie-store session lives at most, however often it is saved, when the middleware's
 * `absoluteTimeout` is left out: 12 hours, the re-authentication period of OWASP ASVS 4.0.3
 * V3.3.2 at levels 2 and 3. A sealed cookie cannot be revoked; without a bound, a copied one
 * would renew itself on every write for ever.
 */
export const COOKIE_STORE_ABSOLUTE_TIMEOUT = 12 * 60 * 60

/** Options of `CookieStore`. */
export interface CookieStoreOptions {
  /**
   * The most bytes the session cookie (`name=value`) may take. A save that would make it larger
   * is refused with `SessionError` `COOKIE_TOO_LARGE`: browsers silently drop a larger cookie,
   * so it is never sent. Lower it to leave room for other cookies of the same site.
   * @default 4096
   */
  maxCookieSize?: number
}

/**
 * Stateless sessions: the whole record travels in the session cookie, sealed (encrypted and
 * authenticated with XChaCha20-Poly1305) under a key derived from the middleware's `secret`.
 * Nothing is stored on the server, so every runtime can use it without a database.
 *
 * It only works through `sessionMiddleware`, which recognizes it and seals and opens the cookie
 * itself; its store methods throw `UNSUPPORTED`. What a stateless session cannot do: a logout
 * removes the cookie from the browser, but a copy of it (stolen, or replayed) stays valid until
 * it expires, at the latest 12 hours after the session began unless the middleware's
 * `absoluteTimeout` says otherwise; and there is no compare-and-set, so of two concurrent
 * requests that both change the session, the response the browser keeps last wins.
 * @example
 * app.use(sessionMiddleware(appSession, {
 *   secret: process.env.SESSION_SECRET!,
 *   store: new CookieStore(),
 *   expiry: Expiry.onInactivity(60 * 60),
 * }))
 */
export class CookieStore implements SessionStore {
  /** The most bytes of `name=value` the session cookie may take. */
  readonly maxCookieSize: number

  constructor(options: CookieStoreOptions = {}) {
    const size = options.maxCookieSize ?? COOKIE_SIZE_LIMIT
    if (!Number.isSafeInteger(size) || size < 1 || size > COOKIE_SIZE_LIMIT) {
      throw new SessionError(
        'CONFIG',
        `maxCookieSize is a number of bytes from 1 to ${COOKIE_SIZE_LIMIT} (browsers drop larger cookies), got ${String(size)}; omit it for ${COOKIE_SIZE_LIMIT}.`
      )
    }
    this.maxCookieSize = size
  }

  /** Unsupported: the record lives in the cookie. Pass the store to `sessionMiddleware`. */
  create(_record: SessionRecord): Promise<boolean> {
    return unsupported('create')
  }

  /** Unsupported: the record lives in the cookie. Pass the store to `sessionMiddleware`. */
  load(_key: string): Promise<SessionRecord | undefined> {
    return unsupported('load')
  }

  /** Unsupported: the record lives in the cookie. Pass the store to `sessionMiddleware`. */
  save(_record: SessionRecord, _expectedVersion?: number): Promise<boolean> {
    return unsupported('save')
  }

  /** Unsupported: the record lives in the cookie. Pass the store to `sessionMiddleware`. */
  delete(_key: string): Promise<void> {
    return unsupported('delete')
  }
}

function unsupported(operation: string): Promise<never> {
  // Rejected, not thrown: callers of a SessionStore await its promises.
  return Promise.reject(
    new SessionError(
      'UNSUPPORTED',
      `CookieStore.${operation}: the cookie store only works through sessionMiddleware, which keeps the record in the session cookie; a Session, migrateStore or CachingStore needs a store that holds records (e.g. MemoryStore, RedisStore).`
    )
  )
}

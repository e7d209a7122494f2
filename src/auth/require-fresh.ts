import type { Context, MiddlewareHandler } from 'hono'
import { SessionError } from '../core/errors.js'
import type { Session } from '../core/session.js'
import { detailsOf } from './device-details.js'
import { guardAnswer, type FailureHandler, type Refusal } from './failure.js'

/** Why `requireFresh()` refused a request: nobody is logged in, or the login is too old. */
export type FreshFailure = Refusal<'unauthenticated', 401> | Refusal<'stale', 401>

/** Options of `requireFresh`. */
export interface RequireFreshOptions {
  /**
   * Where to send a user whose login is too old (the re-authentication page, a 302 with
   * `?next=<path>`) or a visitor who is not logged in, unless the request's `Accept` prefers
   * JSON (a script gets the 401). @default undefined (a 401)
   */
  redirectTo?: string
  /** The app's own answer to every refusal, in place of the defaults (and of `redirectTo`). */
  onFailure?: FailureHandler<FreshFailure>
}

const NOT_LOGGED_IN = 'Log in to see this page.'
const STALE = 'Confirm your password to continue.'

/**
 * The middleware of `auth.requireFresh(maxAge, options)`: `currentUser` and the session's
 * engine give the request's user and its device details (`loginAt`).
 */
export function requireFreshMiddleware<User>(
  maxAge: number,
  options: RequireFreshOptions,
  resolve: (c: Context) => Promise<{ user: User | undefined; engine: Session }>,
  now: () => number
): MiddlewareHandler<{ Variables: { user: User } }> {
  if (!(Number.isFinite(maxAge) && maxAge > 0)) {
    throw new SessionError(
      'CONFIG',
      `requireFresh(maxAge) takes the seconds a login stays fresh, a number > 0 (e.g. 300); got ${String(maxAge)}.`
    )
  }
  const refuse = guardAnswer<FreshFailure>('requireFresh', '/confirm-password', options, () => true)

  return async function requireFresh(c, next) {
    const { user, engine } = await resolve(c)
    if (user === undefined) {
      return refuse(c, { reason: 'unauthenticated', status: 401, message: NOT_LOGGED_IN })
    }
    const details = await detailsOf(engine)
    // A login older than this release has no login time: it is not fresh.
    if (details === undefined || now() - details.loginAt > maxAge * 1000) {
      return refuse(c, { reason: 'stale', status: 401, message: STALE })
    }
    c.set('user', user)
    await next()
  }
}

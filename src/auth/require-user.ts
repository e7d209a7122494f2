import type { Context, MiddlewareHandler } from 'hono'
import { SessionError } from '../core/errors.js'
import { guardAnswer, type FailureHandler, type Refusal } from './failure.js'

/** Why `requireUser()` refused a request: nobody is logged in, or the user is not allowed. */
export type AuthFailure<User> =
  Refusal<'unauthenticated', 401> | (Refusal<'forbidden', 403> & { readonly user: User })

/** A check of the logged-in user: a role, a permission, a plan. */
export type UserCheck<User, Allowed extends User = User> =
  | ((user: User, c: Context) => user is Allowed)
  | ((user: User, c: Context) => boolean | Promise<boolean>)

/** Options of `requireUser`. */
export interface RequireUserOptions<User = unknown, Allowed extends User = User> {
  /**
   * Where to send a visitor who is not logged in (a 302 with `?next=<path>`), unless the
   * request's `Accept` prefers JSON (a script gets the 401).
   * @default undefined (a 401)
   */
  redirectTo?: string
  /**
   * Lets only the users for whom it is true through (`(user) => user.role === 'admin'`); a user
   * it refuses is logged in, so the answer is a 403. A type guard narrows `c.var.user`.
   * @default undefined (every logged-in user)
   */
  allow?: UserCheck<User, Allowed>
  /**
   * The app's own answer to every refusal, in place of the defaults (and of `redirectTo`: return
   * `c.redirect(...)` from it for that).
   * @default 401 or 403 with a sentence as text, or as JSON `{ error, message }` when the
   * request's `Accept` prefers JSON
   */
  onFailure?: FailureHandler<AuthFailure<User>>
}

const NOT_LOGGED_IN = 'Log in to see this page.'
const NOT_ALLOWED = 'Your account is not allowed to see this page.'

/**
 * The middleware of `auth.requireUser(options)` over `currentUser` (the request's user, loaded
 * once per request).
 * @throws SessionError `CONFIG` for a `redirectTo` that is not a path, or options that clash
 */
export function requireUserMiddleware<User, Allowed extends User>(
  currentUser: (c: Context) => Promise<User | undefined>,
  options: RequireUserOptions<User, Allowed>
): MiddlewareHandler<{ Variables: { user: Allowed } }> {
  const { allow } = options
  if (allow !== undefined && typeof allow !== 'function') {
    throw new SessionError(
      'CONFIG',
      `requireUser({ allow }) is a function of the user returning true to let them in; got ${typeof allow}.`
    )
  }
  const refuse = guardAnswer<AuthFailure<User>>(
    'requireUser',
    '/login',
    options,
    (failure) => failure.reason === 'unauthenticated'
  )

  return async function requireUser(c, next) {
    const user = await currentUser(c)
    if (user === undefined) {
      return refuse(c, { reason: 'unauthenticated', status: 401, message: NOT_LOGGED_IN })
    }
    if (allow !== undefined && !(await allow(user, c))) {
      return refuse(c, { reason: 'forbidden', status: 403, message: NOT_ALLOWED, user })
    }
    c.set('user', user as Allowed)
    await next()
  }
}

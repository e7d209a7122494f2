import type { MiddlewareHandler } from 'hono'
import { constantTimeEqual } from '../cookie/constant-time.js'
import { SessionError } from '../core/errors.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import { objectShapesOf } from '../schema/sensitive.js'
import type { SessionKey, SessionValue, TypedSession } from '../schema/typed-session.js'
import { DEFAULT_CONTEXT_KEY, checkSchemaKey, sessionOf } from './context.js'
import { csrfKeysOf, drawSecret } from './csrf-secret.js'
import { requireUserMiddleware, type RequireUserOptions } from './require-user.js'

/** The keys of a session schema whose value is an object with an `id`: where a login is kept. */
export type UserKey<S extends SessionSchema> = {
  [K in SessionKey<S>]: NonNullable<SessionValue<S, K>> extends { id: unknown } ? K : never
}[SessionKey<S>]

/** The type of the user id kept under `K`. */
export type UserIdOf<S extends SessionSchema, K extends UserKey<S>> =
  NonNullable<SessionValue<S, K>> extends { id: infer Id } ? Id : never

/** Options of `createAuth`. */
export interface AuthOptions<S extends SessionSchema, K extends UserKey<S>, User> {
  /** The session definition the app's `sessionMiddleware` uses. */
  definition: SessionDefinition<S>
  /**
   * The session key that holds the login, declared in the schema as
   * `z.object({ id: <your id schema>, authHash: z.string().optional() }).optional()`.
   */
  userKey: K
  /** The id of a user, as the session stores it (never the whole user: it would go stale). */
  idOf: (user: User) => UserIdOf<S, K>
  /**
   * Loads the user of a stored id on each request that asks who is logged in. Return
   * `undefined` for a user that no longer exists or must not log in (disabled): the session is
   * then logged out.
   */
  loadUser: (id: UserIdOf<S, K>) => Promise<User | undefined> | User | undefined
  /**
   * A string that changes whenever the user's credentials do (a password version, or a hash of
   * the password hash; never the password). Stored at login and compared on every request, so
   * changing the password logs out every other session (axum-login's session auth hash).
   * @default undefined (no check)
   */
  authHash?: (user: User) => string
  /** The `c.var` key the session middleware uses. @default 'session' */
  contextKey?: string
}

/** What `createAuth` returns: login helpers bound to one session definition. */
export interface Auth<S extends SessionSchema, User> {
  /**
   * Logs `user` in: a new session id (against session fixation), then the user's id and auth
   * hash stored under the user key. Call it after checking the credentials.
   */
  login(session: TypedSession<S>, user: User): Promise<void>
  /** Logs out: deletes the stored session; the response removes the cookie. */
  logout(session: TypedSession<S>): Promise<void>
  /**
   * The logged-in user, loaded with `loadUser` (once per request). A user that no longer loads,
   * or whose auth hash changed since the login, is logged out and reads as `undefined`.
   */
  currentUser(session: TypedSession<S>): Promise<User | undefined>
  /**
   * Hono middleware for routes that need a login: puts the user on `c.var.user`, else answers
   * 401 (or redirects to `redirectTo`); with `allow`, a logged-in user it refuses gets 403.
   * @example app.get('/admin', auth.requireUser({ allow: (user) => user.role === 'admin' }), handler)
   */
  requireUser<Allowed extends User = User>(
    options?: RequireUserOptions<User, Allowed>
  ): MiddlewareHandler<{ Variables: { user: Allowed } }>
}

const encoder = new TextEncoder()

/**
 * Login, logout and a `requireUser()` middleware over a typed session (axum-login's model).
 * @example
 * const appSession = defineSession(z.object({
 *   user: z.object({ id: z.string(), authHash: z.string().optional() }).optional(),
 * }))
 * const auth = createAuth({
 *   definition: appSession,
 *   userKey: 'user',
 *   idOf: (user: User) => user.id,
 *   loadUser: (id) => users.findActive(id),
 *   authHash: (user) => String(user.passwordVersion),
 * })
 * app.post('/login', async (c) => { await auth.login(c.var.session, user); return c.redirect('/') })
 * app.get('/me', auth.requireUser({ redirectTo: '/login' }), (c) => c.text(c.var.user.name))
 */
export function createAuth<S extends SessionSchema, K extends UserKey<S>, User>(
  options: AuthOptions<S, K, User>
): Auth<S, User> {
  if (typeof options !== 'object' || options === null) {
    throw new SessionError(
      'CONFIG',
      'createAuth(options) needs { definition, userKey, idOf, loadUser }.'
    )
  }
  const { definition, userKey, idOf, loadUser, authHash } = options
  checkSchemaKey(
    definition,
    userKey,
    'createAuth',
    `${String(userKey)}: z.object({ id: z.string(), authHash: z.string().optional() }).optional()`
  )
  for (const [name, value] of [
    ['idOf', idOf],
    ['loadUser', loadUser],
  ] as const) {
    if (typeof value !== 'function') {
      throw new SessionError(
        'CONFIG',
        `createAuth needs \`${name}\`, a function; got ${typeof value}.`
      )
    }
  }
  if (authHash !== undefined && typeof authHash !== 'function') {
    throw new SessionError('CONFIG', '`authHash` is a function of the user; omit it for no check.')
  }
  if (authHash !== undefined) checkAuthHashDeclared(definition, userKey)
  const contextKey = options.contextKey ?? DEFAULT_CONTEXT_KEY
  // One answer per request: the session object lives exactly as long as its request.
  const resolved = new WeakMap<TypedSession<S>, Promise<User | undefined>>()

  const hashOf = (user: User): string => {
    const hash = authHash!(user)
    if (typeof hash !== 'string' || hash === '') {
      throw new SessionError('INVALID_VALUE', '`authHash` must return a non-empty string.')
    }
    return hash
  }

  const resolve = async (session: TypedSession<S>): Promise<User | undefined> => {
    const stored = (await session.get(userKey)) as
      { id: UserIdOf<S, K>; authHash?: string } | undefined
    if (stored === undefined) return undefined
    const user = await loadUser(stored.id)
    // Compared as bytes in constant time: the stored hash must not leak through timings.
    const stale =
      user === undefined ||
      (authHash !== undefined &&
        (stored.authHash === undefined ||
          !constantTimeEqual(encoder.encode(stored.authHash), encoder.encode(hashOf(user)))))
    if (!stale) return user
    await session.flush()
    return undefined
  }

  const auth: Auth<S, User> = {
    async login(session, user) {
      const stored = {
        id: idOf(user),
        ...(authHash === undefined ? {} : { authHash: hashOf(user) }),
      }
      await session.cycleId()
      // `set` validates the value against the key's schema at run time.
      await session.set(userKey, stored as never)
      // A token issued before the login (maybe to a session a sibling subdomain tossed in) must
      // not work after it. The new id is known to no other request, so a blind write is safe.
      // Declared with csrfSecret() or given to a createCsrf: rotated at login (Django's
      // rotate_token), nothing to wire.
      for (const key of csrfKeysOf(definition)) {
        await session.set(key as never, drawSecret() as never)
      }
      resolved.set(session, Promise.resolve(user))
    },
    async logout(session) {
      await session.flush()
      resolved.set(session, Promise.resolve(undefined))
    },
    currentUser(session) {
      let answer = resolved.get(session)
      if (answer === undefined) {
        answer = resolve(session)
        resolved.set(session, answer)
        // A failed load (the user database is down) is not remembered: the next call retries.
        answer.catch(() => resolved.delete(session))
      }
      return answer
    },
    requireUser(requireOptions = {}) {
      return requireUserMiddleware(
        (c) => auth.currentUser(sessionOf<S>(c, contextKey, 'requireUser()')),
        requireOptions
      )
    },
  }
  return auth
}

/**
 * Throws `CONFIG` unless the user key's schema declares `authHash`: without the key the hash
 * would be stripped at login, and every request would then log out. (`redactSensitive` and the
 * CLI hide an `authHash` field whether or not it is marked `sensitive()`.)
 */
function checkAuthHashDeclared(definition: SessionDefinition<SessionSchema>, userKey: string) {
  const shapes = objectShapesOf(definition.schema._zod.def.shape[userKey]!)
  if (shapes.length > 0 && shapes.every((shape) => Object.hasOwn(shape, 'authHash'))) return
  throw new SessionError(
    'CONFIG',
    `createAuth({ authHash }) stores the hash under ${userKey}.authHash: declare it in the schema as ${userKey}: z.object({ id: …, authHash: z.string().optional() }).optional(), or the hash is stripped at login and every request logs out.`
  )
}

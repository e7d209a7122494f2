import { constantTimeEqual } from '../cookie/constant-time.js'
import { SessionError, isSessionError } from '../core/errors.js'
import { noOwnerIndex, ownerKeyOf } from '../core/owner.js'
import type { SessionStore } from '../core/store.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import { objectShapesOf } from '../schema/sensitive.js'
import type { TypedSession } from '../schema/typed-session.js'
import type { Auth, AuthOptions, LoginKey, UserIdOf, UserKey } from './auth-types.js'
import { DEFAULT_CONTEXT_KEY, checkSchemaKey, sessionOf } from './context.js'
import { csrfKeysOf, drawSecret } from './csrf-secret.js'
import { detailsOfLogin, refreshLastSeen, refreshLogin, writeDetails } from './device-details.js'
import { checkBeforeLogin, enforceLimitAfterLogin } from './login-limit.js'
import { requireFreshMiddleware } from './require-fresh.js'
import { requireUserMiddleware } from './require-user.js'
import {
  encodeFields,
  lastSeenEveryOf,
  resolveSessionsPerUser,
  type SessionFieldsSchema,
} from './sessions-per-user.js'
import {
  endSessions,
  listUserSessions,
  sessionWithHandle,
  userIdText,
  type UserSessionsContext,
} from './user-sessions.js'

export type {
  Auth,
  AuthOptions,
  LoginKey,
  LoginOptions,
  NoUserKeyError,
  UserIdOf,
  UserKey,
} from './auth-types.js'

/** Milliseconds each store call of a revocation may take: the middleware's storeTimeout default. */
const REVOCATION_STORE_TIMEOUT = 5000

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
export function createAuth<
  S extends SessionSchema,
  K extends UserKey<S>,
  User,
  F extends SessionFieldsSchema | undefined = undefined,
>(options: AuthOptions<S, K, User, F>): Auth<S, User, F, UserIdOf<S, K>> {
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
  // A schema without a login key only compiles to NoUserKeyError, which checkSchemaKey refused.
  const loginKey = userKey as LoginKey<S>
  if (authHash !== undefined && typeof authHash !== 'function') {
    throw new SessionError('CONFIG', '`authHash` is a function of the user; omit it for no check.')
  }
  if (authHash !== undefined) checkAuthHashDeclared(definition, userKey)
  const contextKey = options.contextKey ?? DEFAULT_CONTEXT_KEY
  const perUser = resolveSessionsPerUser(options.sessionsPerUser)
  const now = options.now ?? Date.now
  if (typeof now !== 'function') {
    throw new SessionError('CONFIG', 'createAuth({ now }) is a clock: () => epoch milliseconds.')
  }
  const context: UserSessionsContext = {
    definition,
    userKey,
    fields: perUser.fields,
    now,
    storeTimeout: REVOCATION_STORE_TIMEOUT,
  }
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
    const stored = (await session.get(loginKey)) as
      { id: UserIdOf<S, K>; authHash?: string } | undefined
    if (stored === undefined) return undefined
    const user = await loadUser(stored.id)
    // Compared as bytes in constant time: the stored hash must not leak through timings.
    const stale =
      user === undefined ||
      (authHash !== undefined &&
        (stored.authHash === undefined ||
          !constantTimeEqual(encoder.encode(stored.authHash), encoder.encode(hashOf(user)))))
    if (stale) {
      await session.flush()
      return undefined
    }
    const engine = session.engine
    const every = lastSeenEveryOf(perUser, engine.config.touchAfter)
    await refreshLastSeen(engine, now(), every * 1000)
    return user
  }

  /** The store of the session's request, which must keep an index of sessions per user. */
  const indexedStore = (session: TypedSession<S>, what: string): SessionStore => {
    const store = session.engine.config.store
    if (typeof store.listOwner !== 'function') throw noOwnerIndex(what)
    return store
  }

  /** The live sessions of the logged-in user (none when nobody is), this one marked current. */
  const sessionsOfCurrent = async (session: TypedSession<S>, what: string) => {
    const store = indexedStore(session, what)
    const user = await auth.currentUser(session)
    if (user === undefined) return { store, sessions: [] }
    const current = session.engine.recordKey
    return { store, sessions: await listUserSessions(context, store, idOf(user), current, what) }
  }

  const auth: Auth<S, User, F, UserIdOf<S, K>> = {
    async login(session, user, loginOptions = {}) {
      const id = idOf(user)
      const stored = {
        id,
        ...(authHash === undefined ? {} : { authHash: hashOf(user) }),
      }
      const fields = encodeFields(perUser.fields, loginOptions.fields)
      const engine = session.engine
      const indexed = typeof engine.config.store.listOwner === 'function'
      if (perUser.required && !indexed) throw noOwnerIndex('createAuth({ sessionsPerUser })')
      await session.load()
      const loginAt = indexed ? await checkBeforeLogin(context, perUser, engine, id) : now()
      await session.cycleId()
      // `set` validates the value against the key's schema at run time.
      await session.set(loginKey, stored as never)
      // A token issued before the login (maybe to a session a sibling subdomain tossed in) must
      // not work after it. The new id is known to no other request, so a blind write is safe.
      // Declared with csrfSecret() or given to a createCsrf: rotated at login (Django's
      // rotate_token), nothing to wire.
      for (const key of csrfKeysOf(definition)) {
        await session.set(key as never, drawSecret() as never)
      }
      await writeDetails(engine, detailsOfLogin(loginAt, session.client, perUser.ip, fields))
      if (indexed) await engine.bind(ownerKeyOf(userIdText(id)))
      resolved.set(session, Promise.resolve(user))
      if (perUser.limit === undefined) return
      // Saved first, then listed: what makes the limit hold under concurrent logins.
      await session.save()
      try {
        await enforceLimitAfterLogin(context, perUser, engine, id)
      } catch (error) {
        if (isSessionError(error) && error.code === 'SESSION_LIMIT') {
          resolved.set(session, Promise.resolve(undefined))
        }
        throw error
      }
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
    async listSessions(session) {
      const { sessions } = await sessionsOfCurrent(session, 'listSessions()')
      return sessions.map((listed) => listed.info) as never
    },
    async revokeSession(session, handle) {
      const { store, sessions } = await sessionsOfCurrent(session, 'revokeSession()')
      const revoked = sessionWithHandle(sessions, handle)
      if (revoked === undefined) return false
      if (revoked.info.current) return (await auth.logout(session), true)
      return (await endSessions(context, store, [revoked], session.engine.config.on)) === 1
    },
    async revokeOtherSessions(session) {
      const { store, sessions } = await sessionsOfCurrent(session, 'revokeOtherSessions()')
      const others = sessions.filter((listed) => !listed.info.current)
      return endSessions(context, store, others, session.engine.config.on)
    },
    async sessionsOf(store, userId) {
      const sessions = await listUserSessions(context, store, userId, undefined, 'sessionsOf()')
      return sessions.map((listed) => listed.info) as never
    },
    async revokeUserSessions(store, userId) {
      const what = 'revokeUserSessions()'
      return endSessions(
        context,
        store,
        await listUserSessions(context, store, userId, undefined, what)
      )
    },
    requireFresh(maxAge, freshOptions = {}) {
      return requireFreshMiddleware<User>(
        maxAge,
        freshOptions,
        async (c) => {
          const session = sessionOf<S>(c, contextKey, 'requireFresh()')
          return { user: await auth.currentUser(session), engine: session.engine }
        },
        now
      )
    },
    async reauthenticate(session, user) {
      const current = await auth.currentUser(session)
      if (current === undefined || userIdText(idOf(current)) !== userIdText(idOf(user))) {
        throw new SessionError(
          'INVALID_VALUE',
          'reauthenticate(session, user) is for the user who is logged in on this session; log another user in with login().'
        )
      }
      await session.cycleId()
      const at = now()
      await refreshLogin(
        session.engine,
        at,
        detailsOfLogin(at, session.client, perUser.ip, undefined)
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

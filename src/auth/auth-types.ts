import type { MiddlewareHandler } from 'hono'
import type { SessionStore } from '../core/store.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import type { SessionKey, SessionValue } from '../schema/session-types.js'
import type { TypedSession } from '../schema/typed-session.js'
import type { RequireFreshOptions } from './require-fresh.js'
import type { RequireUserOptions } from './require-user.js'
import type {
  FieldsInput,
  FieldsOf,
  SessionFieldsSchema,
  SessionInfo,
  SessionsPerUserOptions,
} from './sessions-per-user.js'

/** The keys of a session schema whose value is an object with an `id`: where a login is kept. */
export type LoginKey<S extends SessionSchema> = {
  [K in SessionKey<S>]: NonNullable<SessionValue<S, K>> extends { id: unknown } ? K : never
}[SessionKey<S>]

/** The compile error of `createAuth` for a schema with no key for the login: the fix, in one line. */
export type NoUserKeyError =
  "createAuth: the session schema has no key for the login (an object with an id); declare one, e.g. user: z.object({ id: z.string(), authHash: z.string().optional() }).optional(), and pass userKey: 'user'"

/**
 * What `userKey` of `createAuth` accepts: the schema's `LoginKey`s, or, when it has none, the
 * sentence of `NoUserKeyError`, so the error says what to declare (not "… to type 'never'").
 */
export type UserKey<S extends SessionSchema> = [LoginKey<S>] extends [never]
  ? NoUserKeyError
  : LoginKey<S>

/** The type of the user id kept under `K` (`unknown` while `K` is not a login key). */
export type UserIdOf<S extends SessionSchema, K extends UserKey<S>> =
  K extends LoginKey<S>
    ? NonNullable<SessionValue<S, K>> extends { id: infer Id }
      ? Id
      : never
    : unknown

/** Options of `createAuth`. */
export interface AuthOptions<
  S extends SessionSchema,
  K extends UserKey<S>,
  User,
  F extends SessionFieldsSchema | undefined = undefined,
> {
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
  /**
   * Sessions per user (DESIGN.md §12): a limit on a user's live sessions at login, the app's
   * own fields of each session, and what the device details keep. Needs a store with an index
   * of sessions per user (`CONFIG` at the first login otherwise). Without it, `login` still
   * binds each session to its user when the store has an index, so `listSessions` and the
   * revocations work. @default undefined (no limit)
   */
  sessionsPerUser?: SessionsPerUserOptions<F>
  /** The clock, in epoch milliseconds (login times, `lastSeenAt`, freshness). @default Date.now */
  now?: () => number
}

/** Options of `login`. */
export interface LoginOptions<F extends SessionFieldsSchema | undefined> {
  /** The app's own fields of this session, checked against `sessionsPerUser.fields`. */
  fields?: FieldsInput<F>
}

/** What `createAuth` returns: login helpers bound to one session definition. */
export interface Auth<
  S extends SessionSchema,
  User,
  F extends SessionFieldsSchema | undefined = undefined,
  Id = unknown,
> {
  /**
   * Logs `user` in: a new session id (against session fixation), the user's id and auth hash
   * stored under the user key, the device details (login time, user agent summary, IP as the
   * `ip` policy keeps it, the app's `fields`), and the session bound to the user when the store
   * keeps an index. With `sessionsPerUser.limit`, the session is saved and the limit applied.
   * @throws SessionError `SESSION_LIMIT` when the limit refuses this login; `CONFIG` for
   * `sessionsPerUser` on a store without an index
   */
  login(session: TypedSession<S>, user: User, options?: LoginOptions<F>): Promise<void>
  /** Logs out: deletes the stored session; the response removes the cookie. */
  logout(session: TypedSession<S>): Promise<void>
  /**
   * The logged-in user, loaded with `loadUser` (once per request). A user that no longer loads,
   * or whose auth hash changed since the login, is logged out and reads as `undefined`. Moves
   * the session's `lastSeenAt` when it is `lastSeenEvery` old (a write at most once a period).
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
  /**
   * The live sessions of the logged-in user, newest first, this one marked `current`; `[]`
   * when nobody is logged in. @throws SessionError `CONFIG` on a store without an index
   * @example const sessions = await auth.listSessions(c.var.session)
   */
  listSessions(session: TypedSession<S>): Promise<SessionInfo<FieldsOf<F>>[]>
  /**
   * Ends one session of the logged-in user by its `handle` (from `listSessions`): true when it
   * was one of this user's live sessions; false for another user's handle, a dead one, or
   * garbage. The revoked session reads as logged out on its next request, whatever races it.
   */
  revokeSession(session: TypedSession<S>, handle: string): Promise<boolean>
  /** Ends every other session of the logged-in user ("sign out everywhere else"); how many. */
  revokeOtherSessions(session: TypedSession<S>): Promise<number>
  /** The live sessions of a user outside a request (admin pages, jobs), newest first. */
  sessionsOf(store: SessionStore, userId: Id): Promise<SessionInfo<FieldsOf<F>>[]>
  /** Ends every session of a user outside a request; how many were ended. */
  revokeUserSessions(store: SessionStore, userId: Id): Promise<number>
  /**
   * Hono middleware for sensitive routes (a password, an email, 2FA): lets through a user who
   * logged in (or re-authenticated) within `maxAge` seconds, puts them on `c.var.user`, else
   * answers 401 or redirects to `redirectTo` with `?next=`. The re-authentication page checks
   * the password again and calls `reauthenticate`.
   * @example app.post('/password', auth.requireFresh(300, { redirectTo: '/confirm' }), handler)
   */
  requireFresh(
    maxAge: number,
    options?: RequireFreshOptions
  ): MiddlewareHandler<{ Variables: { user: User } }>
  /**
   * After the app checked the logged-in user's password again: the login time is now (so
   * `requireFresh` lets them through), and the session gets a new id.
   * @throws SessionError `INVALID_VALUE` when `user` is not the one logged in
   */
  reauthenticate(session: TypedSession<S>, user: User): Promise<void>
}

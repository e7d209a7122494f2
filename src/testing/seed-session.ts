import type { LoginOptions } from '../auth/auth-types.js'
import type { SessionFieldsSchema } from '../auth/sessions-per-user.js'
import { SessionError } from '../core/errors.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import type { DeepReadonly, SessionKey, SessionValue } from '../schema/session-types.js'
import type { TypedSession } from '../schema/typed-session.js'
import { checkSessionOptions } from '../web/option-checks.js'
import type { OpenedSession, OpenSessionFrom } from '../web/opened-session.js'
import type { SessionOptions } from '../web/options.js'
import { SessionCore } from '../web/session-core.js'
import { SHARED_CACHE_FIELDS } from '../web/shared-cache.js'

/** What opens sessions outside a request: what `sessionMiddleware` and `fetchSessions` return. */
export interface SessionOpener<S extends SessionSchema> {
  openSession(from?: OpenSessionFrom): Promise<OpenedSession<S>>
}

/** The values to seed, key by key, each checked against its key's schema as `set` checks it. */
export type SeedData<S extends SessionSchema> = {
  [K in SessionKey<S>]?: DeepReadonly<SessionValue<S, K>>
}

/** What to put in a seeded session. */
export interface SeedOptions<S extends SessionSchema> {
  /** The session's values. @default {} (then only a login makes the session worth storing) */
  data?: SeedData<S>
}

/**
 * The app's session options (the very object its `sessionMiddleware` or `fetchSessions` is
 * given: at least `secret`, and the `store`), and what to seed. `contextKey` and `clientIp`
 * are accepted, so the app's options pass as they are, and change nothing.
 */
export type SeedSessionOptions<S extends SessionSchema> = SessionOptions &
  SeedOptions<S> & { contextKey?: string; clientIp?: unknown }

/** A stored session, and what a client sends to use it. */
export interface SeededSession {
  /**
   * A `Cookie` request header value that carries the session, e.g. `id=…`; empty with
   * `transport: 'header'`, which reads no cookie.
   */
  cookie: string
  /** The signed value: the cookie's value, and the token of the header transport. */
  token: string
  /** The session id (what the signed value signs). */
  id: string
  /** The store's key of the session's record (the SHA-256 of the id, what events name it by). */
  recordKey: string
}

/** Hooks a seed runs on the opened session, after `data` is set and before the commit. */
type Finish<S extends SessionSchema> = (session: TypedSession<S>) => Promise<void>

/** What a seed is given: the app's sessions, or a definition (or schema) with the app's options. */
type Target<S extends SessionSchema> = SessionOpener<S> | SessionDefinition<S> | S

const SEED_OPTIONS = { data: () => {}, contextKey: () => {}, clientIp: () => {} }

/** The opener of `target`: itself, or a request core built from `options` as the app builds it. */
function openerOf<S extends SessionSchema>(
  target: Target<S>,
  options: SeedSessionOptions<S> | SeedOptions<S>,
  entry: string
): SessionOpener<S> {
  if (typeof (target as Partial<SessionOpener<S>>).openSession === 'function') {
    return target as SessionOpener<S>
  }
  checkSessionOptions(options, entry, SEED_OPTIONS)
  // What only seeding and Hono read stays out of the request core's options.
  const sessionOptions: Record<string, unknown> = { ...options }
  for (const name of Object.keys(SEED_OPTIONS)) delete sessionOptions[name]
  return new SessionCore(
    target as SessionDefinition<S> | S,
    sessionOptions as unknown as SessionOptions
  )
}

/**
 * Opens a new session, sets `data` (validated), runs `finish`, and commits it as a request
 * would: a compare-and-set save, then the `Set-Cookie` and/or token headers it answers with.
 */
async function seed<S extends SessionSchema>(
  opener: SessionOpener<S>,
  data: SeedData<S> | undefined,
  entry: string,
  finish?: Finish<S>
): Promise<SeededSession> {
  const opened = await opener.openSession()
  const session = opened.session
  for (const [key, value] of Object.entries(data ?? {})) {
    await session.set(key as SessionKey<S>, value as never)
  }
  await finish?.(session)
  const headers = await opened.commit()
  const sent = sentValues(headers)
  const id = session.id
  const recordKey = opened.recordKey
  if (sent === undefined || id === undefined || recordKey === undefined) {
    throw new SessionError(
      'CONFIG',
      `${entry} stored no session: an empty session is never saved. Give it \`data\` with at least one value.`
    )
  }
  return { ...sent, id, recordKey }
}

/** Headers that `commit()` writes besides the cookie and the token (response-headers.ts). */
const NOT_THE_TOKEN = new Set<string>([
  'set-cookie',
  'vary',
  'cache-control',
  ...SHARED_CACHE_FIELDS,
])

/** The cookie and the token a commit answered with, or undefined when it sent neither. */
function sentValues(headers: Headers): { cookie: string; token: string } | undefined {
  const setCookie = headers.getSetCookie()[0]
  if (setCookie !== undefined) {
    const end = setCookie.indexOf(';')
    const cookie = end === -1 ? setCookie : setCookie.slice(0, end)
    return { cookie, token: cookie.slice(cookie.indexOf('=') + 1) }
  }
  // Without a cookie (transport 'header'), the one header left is the token's, whatever its name.
  let token: string | undefined
  headers.forEach((value, name) => {
    if (!NOT_THE_TOKEN.has(name) && value !== '') token = value
  })
  return token === undefined ? undefined : { cookie: '', token }
}

/**
 * Stores a session with `data` for an app's own tests and gives the cookie (or token) that
 * carries it, through the same request core as a request (values validated, the id signed, the
 * save a compare-and-set). Give it the app's sessions (what `sessionMiddleware` or
 * `fetchSessions` returns), or the definition with the app's options (`secret`, `store`, …).
 * @throws SessionError `INVALID_VALUE` for a value its key's schema refuses; `CONFIG` for no data
 * @example
 * const { cookie } = await seedSession(appSession, { secret, store, data: { counter: 41 } })
 * const response = await app.request('/', { headers: { cookie } })
 */
export function seedSession<S extends SessionSchema>(
  sessions: SessionOpener<S>,
  options: SeedOptions<S>
): Promise<SeededSession>
export function seedSession<S extends SessionSchema>(
  definition: SessionDefinition<S> | S,
  options: SeedSessionOptions<S>
): Promise<SeededSession>
export async function seedSession<S extends SessionSchema>(
  target: Target<S>,
  options: SeedSessionOptions<S> | SeedOptions<S>
): Promise<SeededSession> {
  const opener = openerOf(target, options, 'seedSession')
  return seed(opener, options.data, 'seedSession')
}

/** The login half of `typed-sessions/auth` a seeded login needs. */
export interface LoginAuth<
  S extends SessionSchema,
  User,
  F extends SessionFieldsSchema | undefined,
> {
  login(session: TypedSession<S>, user: User, options?: LoginOptions<F>): Promise<void>
}

/** Who to log in, with which `createAuth`, and what else to put in the session. */
export interface SeedLoginOptions<
  S extends SessionSchema,
  User,
  F extends SessionFieldsSchema | undefined,
> extends SeedOptions<S> {
  /** What `createAuth` returned for the app. */
  auth: LoginAuth<S, User, F>
  /** The user to log in, as `auth.login` takes it. */
  user: User
  /** The session's own fields of sessions per user (`sessionsPerUser.fields`). */
  fields?: LoginOptions<F>['fields']
}

/**
 * A logged-in user's session, for an app's own tests (Django's `force_login`): `auth.login`
 * runs on a new session as in a login route (the user's id and auth hash stored, the session
 * bound to the user, the `sessionsPerUser` limit applied), and the cookie (or token) is given.
 * @throws SessionError `SESSION_LIMIT` when the limit refuses the login, as a login route would
 * @example
 * const { cookie } = await seedLogin(sessions, { auth, user: ada })
 * expect(await (await app.request('/me', { headers: { cookie } })).text()).toBe('Ada')
 */
export function seedLogin<S extends SessionSchema, User, F extends SessionFieldsSchema | undefined>(
  sessions: SessionOpener<S>,
  options: SeedLoginOptions<S, User, F>
): Promise<SeededSession>
export function seedLogin<S extends SessionSchema, User, F extends SessionFieldsSchema | undefined>(
  definition: SessionDefinition<S> | S,
  options: SeedLoginOptions<S, User, F> & SeedSessionOptions<S>
): Promise<SeededSession>
export async function seedLogin<
  S extends SessionSchema,
  User,
  F extends SessionFieldsSchema | undefined,
>(target: Target<S>, options: SeedLoginOptions<S, User, F>): Promise<SeededSession> {
  const { auth, user, fields, ...rest } = options
  const opener = openerOf(target, rest, 'seedLogin')
  const loginOptions = fields === undefined ? {} : { fields }
  return seed(opener, options.data, 'seedLogin', (session) =>
    auth.login(session, user, loginOptions as LoginOptions<F>)
  )
}

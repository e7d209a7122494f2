import type { Context, MiddlewareHandler } from 'hono'
import { SealedCookies, type RequestRecords } from './cookie-mode.js'
import { checkCookieNameClash, type Registration } from './cookie-name-clash.js'
import { checkMiddlewareOptions } from './middleware-options.js'
import { writeHeaders } from './response-headers.js'
import { clientInfoOf, peerAddressOf, type ClientIpOf } from './client-info.js'
import type { CookieOptions } from '../cookie/header.js'
import {
  readCookieValues,
  resolveCookieOptions,
  serializeRemovalCookie,
  serializeSessionCookie,
} from '../cookie/header.js'
import { CookieSigner, type VerifiedCookie } from '../cookie/signer.js'
import type { Expiry } from '../core/expiry.js'
import { Session, type SessionConfig } from '../core/session.js'
import type { SessionStore } from '../core/store.js'
import {
  defineSession,
  type SessionDefinition,
  type SessionSchema,
} from '../schema/define-session.js'
import { TypedSession } from '../schema/typed-session.js'
import { corruptRecordPolicy, recordUpgrader } from '../schema/upgrade.js'
import { COOKIE_STORE_ABSOLUTE_TIMEOUT, CookieStore } from '../stores/cookie-store.js'
import { MemoryStore } from '../stores/memory-store.js'

/**
 * The Hono environment that types `c.var.session` (or `c.var[contextKey]`) for a session
 * definition.
 * @example new Hono<SessionEnv<typeof appSession>>()
 * @example new Hono<SessionEnv<typeof adminSession, 'admin'>>() // c.var.admin
 */
export type SessionEnv<
  D extends SessionDefinition<SessionSchema> | SessionSchema,
  K extends string = 'session',
> = {
  Variables: {
    [P in K]: D extends SessionDefinition<infer S>
      ? TypedSession<S>
      : D extends SessionSchema
        ? TypedSession<D>
        : never
  }
}

/** Options of `sessionMiddleware`. */
export interface SessionMiddlewareOptions<K extends string = 'session'> {
  /**
   * The `c.var` key the typed session is put on, so that two sessions (say an admin one and a
   * visitor one, with different cookie names) can live in one app. @default 'session'
   */
  contextKey?: K
  /**
   * Rolling sessions without a write per request: an unmodified session that the handler read is
   * re-saved (and its cookie re-sent) only when that would move its expiry by more than this many
   * seconds. Pair with `Expiry.onInactivity`. @default undefined (only modified sessions are saved)
   */
  touchAfter?: number
  /**
   * Where sessions are stored; a `CookieStore` keeps the whole session in the cookie instead.
   * @default a MemoryStore shared by every middleware built from the same definition (per
   * process, in memory: use a server store in production)
   */
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
  /**
   * Seconds after creation at which any session ends, whatever its expiry and however often it
   * is saved; `Infinity` for no limit. @default undefined (no limit); with a `CookieStore`, 43200
   * (12 hours), since a sealed cookie cannot be revoked and a copy would otherwise renew itself
   */
  absoluteTimeout?: number
  /** Save (and refresh the cookie of) every non-empty session on every request. @default false */
  alwaysSave?: boolean
  /**
   * Milliseconds of store time a request may spend, its store calls and its waits behind other
   * saves of the session together; past it the request fails with `SessionError`
   * `STORE_UNAVAILABLE` (its `cause` a `TimeoutError`), and no cookie is set. @default 5000
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
  /**
   * Where the client's IP address comes from, for `session.client.ip` (the device details of
   * sessions per user). Behind a proxy, name the header it sets, e.g.
   * `(c) => c.req.header('x-real-ip')`; never trust a header the client can set itself.
   * @default the connection's peer address as the runtime reports it (Node, Bun, Deno; on
   * Cloudflare Workers, `CF-Connecting-IP`)
   */
  clientIp?: ClientIpOf
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
export function sessionMiddleware<S extends SessionSchema, K extends string = 'session'>(
  definitionOrSchema: SessionDefinition<S> | S,
  options: SessionMiddlewareOptions<K>
): MiddlewareHandler<SessionEnv<SessionDefinition<S>, K>> {
  checkMiddlewareOptions(options)
  const definition = definitionOf(definitionOrSchema)
  const contextKey: string = options.contextKey ?? 'session'
  const touchAfterMs = options.touchAfter === undefined ? undefined : options.touchAfter * 1000
  const cookie = resolveCookieOptions(options.cookie)
  const registration: Registration = { cookieName: cookie.name, contextKey }
  const store = options.store ?? defaultStoreOf(definition)
  const absoluteTimeout = absoluteTimeoutOf(options.absoluteTimeout, store)
  // Cookie mode: the record itself travels sealed in the cookie instead of a signed id.
  const sealed =
    store instanceof CookieStore
      ? new SealedCookies(store, options.secret, cookie.name, absoluteTimeout)
      : undefined
  const signer = sealed === undefined ? new CookieSigner(options.secret, cookie.name) : undefined
  if (store instanceof MemoryStore) warnOfMemoryStoreInProduction()
  const config: SessionConfig = {
    store,
    schemaVersion: definition.version,
    upgrade: recordUpgrader(definition),
    onCorruptRecord: corruptRecordPolicy(definition),
  }
  if (options.expiry !== undefined) config.expiry = options.expiry
  if (absoluteTimeout !== undefined) config.absoluteTimeout = absoluteTimeout
  if (options.storeTimeout !== undefined) config.storeTimeout = options.storeTimeout
  if (options.conflictTimeout !== undefined) config.conflictTimeout = options.conflictTimeout
  if (options.maxSize !== undefined) config.maxSize = options.maxSize
  if (options.touchAfter !== undefined) config.touchAfter = options.touchAfter
  const alwaysSave = options.alwaysSave === true
  const clientIp = options.clientIp ?? peerAddressOf

  return async function session(c, next) {
    let verified: VerifiedCookie | undefined
    let records: RequestRecords | undefined
    const header = c.req.header('cookie')
    // Cookie tossing (a sibling domain setting the same name) is defeated by taking the first
    // value that verifies, not the first value; only the first few are tried.
    const values = header === undefined ? [] : readCookieValues(header, cookie.name)
    if (sealed !== undefined) {
      records = sealed.open(values, MAX_COOKIE_CANDIDATES)
      verified = records.opened
    } else {
      for (let i = 0; i < values.length && i < MAX_COOKIE_CANDIDATES; i++) {
        verified = signer!.verify(values[i]!)
        if (verified !== undefined) break
      }
    }
    const requestConfig = records === undefined ? config : { ...config, store: records }
    const engine = new Session(requestConfig, verified?.id, () => {
      // Before the handler builds its response, a header is a cheap part of it; the check
      // after the handler adds it only to a response built without Hono's helpers.
      if (!c.finalized) c.header('Vary', 'Cookie', { append: true })
    })
    checkCookieNameClash(c, registration)
    c.set(
      contextKey as never,
      new TypedSession(definition, engine, clientInfoOf(c, clientIp)) as never
    )

    await next()

    try {
      // An untouched session needs nothing after the handler, not even an async step.
      if (engine.isAccessed || alwaysSave || verified?.rotated === true) {
        await finish(c, engine, verified, records)
      }
    } finally {
      // From here on the response is decided: a change from a stream would be lost, so it throws.
      engine.close()
    }
  }

  /** After the handler: save and set the cookie, remove it, or leave it (DESIGN.md §5, §8). */
  async function finish(
    c: Context,
    engine: Session,
    verified: VerifiedCookie | undefined,
    records: RequestRecords | undefined
  ) {
    const rotated = verified?.rotated === true
    if (touchAfterMs !== undefined && !engine.isModified && isDueForTouch(engine, touchAfterMs)) {
      engine.touch()
    }
    const wantsSave = engine.isModified || alwaysSave
    if (!engine.isAccessed && !wantsSave && !rotated) return
    // Emptiness is only known once loaded (an unknown id turns out to be no session).
    if ((wantsSave || rotated) && !engine.isLoaded) await engine.load()
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
      const id = engine.id
      // The cookie the request came with is the right value while its id and key still hold.
      const value =
        records !== undefined
          ? records.sealFor(id)
          : engine.wasSaved && (rotated || id !== verified?.id)
            ? id === undefined
              ? undefined
              : signer!.sign(id)
            : verified?.value
      // Saved, then flushed in the same request: nothing left to send.
      if (value === undefined) return writeHeaders(c, undefined, vary)
      return writeHeaders(c, serializeSessionCookie(cookie, value, maxAge), true)
    }
    writeHeaders(c, undefined, vary)
  }
}

/** The absolute timeout in force: `Infinity` is none, and a cookie session has one by default. */
function absoluteTimeoutOf(option: number | undefined, store: SessionStore): number | undefined {
  if (option === Infinity) return undefined
  return option ?? (store instanceof CookieStore ? COOKIE_STORE_ABSOLUTE_TIMEOUT : undefined)
}

/** An unmodified, loaded session whose expiry a save now would move by more than `afterMs`. */
function isDueForTouch(engine: Session, afterMs: number): boolean {
  const stored = engine.storedExpiresAt
  if (!engine.isAccessed || stored === undefined || engine.lostTo !== undefined) return false
  return engine.expiresAt().getTime() - stored > afterMs
}

const definitions = new WeakMap<SessionSchema, SessionDefinition>()
const defaultStores = new WeakMap<SessionDefinition, MemoryStore>()

/** The definition given, or one made (once per schema) from a plain `z.object`. */
function definitionOf<S extends SessionSchema>(
  value: SessionDefinition<S> | S
): SessionDefinition<S> {
  if (typeof value === 'object' && value !== null && 'versions' in value) return value
  let definition = definitions.get(value as S)
  if (definition === undefined)
    definitions.set(value as S, (definition = defineSession(value as never)))
  return definition as SessionDefinition<S>
}

/** Middlewares of one definition without a `store` share one: `/me` sees what `/login` stored. */
function defaultStoreOf(definition: SessionDefinition): MemoryStore {
  let store = defaultStores.get(definition)
  if (store === undefined) defaultStores.set(definition, (store = new MemoryStore()))
  return store
}

let warnedOfMemoryStore = false

function warnOfMemoryStoreInProduction(): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  if (warnedOfMemoryStore || env?.NODE_ENV !== 'production') return
  warnedOfMemoryStore = true
  console.warn(
    'typed-sessions: sessions are kept in a MemoryStore, in this process only: they are lost on restart and not shared between processes. Pass a server store (e.g. RedisStore, PostgresStore) as `store` in production.'
  )
}

import {
  readCookieValues,
  resolveCookieOptions,
  serializeRemovalCookie,
  serializeSessionCookie,
  type ResolvedCookieOptions,
} from '../cookie/header.js'
import { CookieSigner, type VerifiedCookie } from '../cookie/signer.js'
import { emitEvent } from '../core/events.js'
import { Session, type SessionConfig } from '../core/session.js'
import { saveNow } from '../core/session-now.js'
import type { SessionStore } from '../core/store.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import type { ClientInfo } from '../schema/session-types.js'
import { TypedSession } from '../schema/typed-session.js'
import { corruptRecordPolicy, recordUpgrader } from '../schema/upgrade.js'
import { COOKIE_STORE_ABSOLUTE_TIMEOUT, CookieStore } from '../stores/cookie-store.js'
import { MemoryStore } from '../stores/memory-store.js'
import { SealedCookies, type RequestRecords } from './cookie-mode.js'
import { definitionOf, defaultStoreOf, warnOfMemoryStoreInProduction } from './definitions.js'
import { OpenedSession, type OpenSessionFrom } from './opened-session.js'
import type { SessionOptions } from './options.js'
import { RequestSession, type ArrivedBy } from './request-session.js'
import { resolveTransport, type ResolvedTransport } from './transport.js'

/*
 * The framework-agnostic request core: reads the signed id from the `Cookie` header and/or the
 * token header, builds the engine and the typed session, and after the handler decides what to
 * send (Django's rule, DESIGN.md §5 and §8). The Hono middleware, the Fetch adapter and the
 * loader (`openSession`) are thin layers over it, so the rules live once.
 */

/**
 * How many same-name cookie values are verified at most: a header stuffed with forged values
 * (cookie tossing) must not cost one HMAC each. Browsers send the most specific cookie first.
 */
const MAX_COOKIE_CANDIDATES = 4
const NO_VALUES: readonly string[] = Object.freeze([])

/** One configured session: built once per middleware (or adapter), used by every request. */
export class SessionCore<S extends SessionSchema = SessionSchema> {
  readonly definition: SessionDefinition<S>
  readonly cookie: ResolvedCookieOptions
  readonly transport: ResolvedTransport
  readonly config: SessionConfig
  readonly #signer: CookieSigner | undefined
  readonly #sealed: SealedCookies | undefined
  readonly #alwaysSave: boolean
  readonly #touchAfterMs: number | undefined

  /** `options` are checked by the entry point (`checkSessionOptions`) before this is built. */
  constructor(definitionOrSchema: SessionDefinition<S> | S, options: SessionOptions) {
    const definition = definitionOf(definitionOrSchema)
    this.definition = definition
    this.cookie = resolveCookieOptions(options.cookie)
    this.transport = resolveTransport(options.transport, options.header)
    const store = options.store ?? defaultStoreOf(definition)
    const absoluteTimeout = absoluteTimeoutOf(options.absoluteTimeout, store)
    // Cookie mode: the record itself travels sealed in the cookie instead of a signed id.
    this.#sealed =
      store instanceof CookieStore
        ? new SealedCookies(store, options.secret, this.cookie.name, absoluteTimeout)
        : undefined
    this.#signer =
      this.#sealed === undefined ? new CookieSigner(options.secret, this.cookie.name) : undefined
    if (store instanceof MemoryStore) warnOfMemoryStoreInProduction()
    const config: SessionConfig = {
      store,
      schemaVersion: definition.version,
      upgrade: recordUpgrader(definition, options.on),
      onCorruptRecord: corruptRecordPolicy(definition),
    }
    if (options.expiry !== undefined) config.expiry = options.expiry
    if (absoluteTimeout !== undefined) config.absoluteTimeout = absoluteTimeout
    if (options.storeTimeout !== undefined) config.storeTimeout = options.storeTimeout
    if (options.conflictTimeout !== undefined) config.conflictTimeout = options.conflictTimeout
    if (options.maxSize !== undefined) config.maxSize = options.maxSize
    if (options.touchAfter !== undefined) config.touchAfter = options.touchAfter
    if (options.on !== undefined) config.on = options.on
    this.config = config
    this.#alwaysSave = options.alwaysSave === true
    this.#touchAfterMs = options.touchAfter === undefined ? undefined : options.touchAfter * 1000
  }

  /**
   * The session of one request: the first cookie value (or the token) that verifies. A value
   * that does not is no session, never an error, never a store lookup. `token` is the bare
   * token (`tokenOf` takes it out of its header); `onFirstAccess` runs when the handler first
   * uses the session.
   */
  open(
    cookieHeader: string | null | undefined,
    token: string | undefined,
    client?: () => ClientInfo,
    onFirstAccess?: () => void
  ): RequestSession<S> {
    // Cookie tossing (a sibling domain setting the same name) is defeated by taking the first
    // value that verifies, not the first value; only the first few are tried.
    const values =
      this.transport.cookie && cookieHeader
        ? readCookieValues(cookieHeader, this.cookie.name)
        : NO_VALUES
    let verified: VerifiedCookie | undefined
    let records: RequestRecords | undefined
    let arrivedBy: ArrivedBy
    const sealed = this.#sealed
    if (sealed !== undefined) {
      if (token !== undefined) records = sealed.open([token], 1)
      if (records?.opened !== undefined) arrivedBy = 'header'
      else records = sealed.open(values, MAX_COOKIE_CANDIDATES)
      verified = records.opened
    } else {
      if (token !== undefined) verified = this.#signer!.verify(token)
      if (verified !== undefined) arrivedBy = 'header'
      for (let i = 0; verified === undefined && i < values.length && i < MAX_COOKIE_CANDIDATES; i++)
        verified = this.#signer!.verify(values[i]!)
    }
    if (verified === undefined) {
      const on = this.config.on
      if (on?.invalid !== undefined && (token !== undefined || values.length > 0)) {
        const at = Date.now()
        emitEvent(on, {
          type: 'invalid',
          recordKey: undefined,
          at,
          reason: 'cookie',
          decision: 'drop',
        })
      }
    } else arrivedBy ??= 'cookie'
    const config = records === undefined ? this.config : { ...this.config, store: records }
    const engine = new Session(config, verified?.id, onFirstAccess)
    const session = new TypedSession(this.definition, engine, client)
    const tokenIn = arrivedBy === 'header' ? token : undefined
    const tokenHeader = this.transport.responseName
    return new RequestSession(session, verified, records, arrivedBy, tokenIn, tokenHeader)
  }

  /** Whether the response needs `finish` at all: an untouched session needs not even an await. */
  needsFinish(request: RequestSession<S>): boolean {
    return request.engine.isAccessed || this.#alwaysSave || request.verified?.rotated === true
  }

  /**
   * After the handler, with the response's status: saves and sets the cookie (or token),
   * removes it, or does nothing (DESIGN.md §5, §8); the decision goes into `request`'s headers.
   * Undefined when that is done at once (a session on an in-process store), else its promise.
   * Throws where the promise would reject.
   */
  finish(request: RequestSession<S>, status: number): Promise<void> | undefined {
    const { engine, verified } = request
    const rotated = verified?.rotated === true
    const touchAfter = this.#touchAfterMs
    if (touchAfter !== undefined && !engine.isModified && isDueForTouch(engine, touchAfter)) {
      engine.touch()
    }
    const wantsSave = engine.isModified || this.#alwaysSave
    if (!engine.isAccessed && !wantsSave && !rotated) return undefined
    // Emptiness is only known once loaded (an unknown id turns out to be no session).
    if ((wantsSave || rotated) && !engine.isLoaded) {
      return engine.load().then(() => this.#saveAndAnswer(request, status, wantsSave))
    }
    return this.#saveAndAnswer(request, status, wantsSave)
  }

  #saveAndAnswer(
    request: RequestSession<S>,
    status: number,
    wantsSave: boolean
  ): Promise<void> | undefined {
    const saving =
      !request.engine.isEmpty() && wantsSave && status < 500 ? saveNow(request.engine) : undefined
    if (saving !== undefined) return saving.then(() => this.#answer(request, status))
    this.#answer(request, status)
    return undefined
  }

  /** Decides the headers of a loaded (and, when it should be, saved) session. */
  #answer(request: RequestSession<S>, status: number): void {
    const { engine, verified } = request
    const rotated = verified?.rotated === true
    const vary = engine.isAccessed ? this.transport.vary : undefined
    // A concurrent login moved the session: the client gets its new id from that request.
    if (engine.lostTo === 'login') return void (request.vary = vary)
    // Empty, flushed, or ended by a concurrent logout meanwhile (logout wins): forget the id.
    if (verified !== undefined && engine.isEmpty()) {
      if (this.#answersByCookie(request)) request.setCookie = serializeRemovalCookie(this.cookie)
      if (this.#answersByHeader(request)) request.token = ''
      return void (request.vary = this.transport.vary)
    }
    request.vary = vary
    if (status >= 500 || !(engine.wasSaved || rotated)) return
    // A save (here or by the handler) issues the cookie; so does a cookie verified with a
    // retired key, re-signed under the current one with the record's remaining lifetime.
    const id = engine.id
    // The value the request came with is the right one while its id and key still hold.
    const value =
      request.records !== undefined
        ? request.records.sealFor(id)
        : engine.wasSaved && (rotated || id !== verified?.id)
          ? id === undefined
            ? undefined
            : this.#signer!.sign(id)
          : verified?.value
    // Saved, then flushed in the same request: nothing left to send.
    if (value === undefined) return
    request.vary = this.transport.vary
    if (this.#answersByCookie(request)) {
      const maxAge =
        engine.expiry.kind === 'onSessionEnd'
          ? undefined
          : engine.wasSaved
            ? engine.expiryAge()
            : engine.storedExpiryAge()
      request.setCookie = serializeSessionCookie(this.cookie, value, maxAge)
    }
    // The token is sent when it changes: on create, on cycleId, on key rotation (and at every
    // save of a sealed one); the client keeps sending the one it has otherwise.
    if (this.#answersByHeader(request) && value !== request.tokenIn) request.token = value
  }

  /**
   * Outside a request (a WebSocket, a queue job): the session a `Cookie` header or a token
   * names, loaded, with every guarantee of the middleware; `commit()` saves it and gives the
   * headers a response would carry.
   */
  async openSession(from: OpenSessionFrom = {}): Promise<OpenedSession<S>> {
    const token = from.token === null || from.token === '' ? undefined : from.token
    const request = this.open(from.cookie, token)
    await request.engine.load()
    return new OpenedSession(this, request)
  }

  /** A request is answered the way it came: a token request never gets a cookie, and back. */
  #answersByCookie(request: RequestSession<S>): boolean {
    return this.transport.cookie && request.arrivedBy !== 'header'
  }

  #answersByHeader(request: RequestSession<S>): boolean {
    return this.transport.header && request.arrivedBy !== 'cookie'
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

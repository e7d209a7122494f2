import type { VerifiedCookie } from '../cookie/signer.js'
import type { Session } from '../core/session.js'
import type { SessionSchema } from '../schema/define-session.js'
import type { TypedSession } from '../schema/typed-session.js'
import type { RequestRecords } from './cookie-mode.js'
import { applySessionHeaders, type SessionHeaders } from './response-headers.js'

/** How the request brought its session: by cookie, by the token header, or not at all. */
export type ArrivedBy = 'cookie' | 'header' | undefined

/**
 * One request's session as the request core (`SessionCore`) holds it between `open` and
 * `finish`: the engine and its typed face, what the request brought, and, once `finish` has
 * decided, the headers its response must carry (it is the `SessionHeaders` it writes).
 */
export class RequestSession<S extends SessionSchema = SessionSchema> implements SessionHeaders {
  /** The typed session the handler uses. */
  readonly session: TypedSession<S>
  /** The engine under it. */
  readonly engine: Session
  /** The cookie or token value that verified, if one did. */
  readonly verified: VerifiedCookie | undefined
  /** With a `CookieStore`: the records the sealed value carried, and what the engine wrote. */
  readonly records: RequestRecords | undefined
  /** How the verified value came: the request is answered the same way. */
  readonly arrivedBy: ArrivedBy
  /** The token exactly as the request sent it, when it came by header. */
  readonly tokenIn: string | undefined
  /** The `Set-Cookie` value `finish` decided on: the cookie, its removal, or none. */
  setCookie: string | undefined = undefined
  /** The token `finish` decided to send back (`''`: the removal signal), or none. */
  token: string | undefined = undefined
  /** The response header the token goes in. */
  readonly tokenHeader: string
  /** The fields the response varies on, once the session was used. */
  vary: string | undefined = undefined

  constructor(
    session: TypedSession<S>,
    verified: VerifiedCookie | undefined,
    records: RequestRecords | undefined,
    arrivedBy: ArrivedBy,
    tokenIn: string | undefined,
    tokenHeader: string
  ) {
    this.session = session
    this.engine = session.engine
    this.verified = verified
    this.records = records
    this.arrivedBy = arrivedBy
    this.tokenIn = tokenIn
    this.tokenHeader = tokenHeader
  }

  /** The headers as a `Headers` object (for a loader's caller, or a framework without Hono). */
  toHeaders(): Headers {
    const headers = new Headers()
    applySessionHeaders(headers, this)
    return headers
  }
}

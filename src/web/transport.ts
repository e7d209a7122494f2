import { SessionError } from '../core/errors.js'
import type { HeaderTransportOptions, SessionTransport } from './options.js'

/*
 * The header transport: the same signed (or sealed) value a session cookie holds, carried in a
 * request header such as `Authorization: Bearer <token>` and sent back in a response header.
 * Browsers never attach such a header on their own, cross-site or not, which is why a session
 * read from it needs no CSRF protection (README, "Sessions for API clients").
 */

/** The transport options checked and completed, built once per middleware. */
export interface ResolvedTransport {
  /** The session cookie is read and written. */
  readonly cookie: boolean
  /** The token header is read and written. */
  readonly header: boolean
  /** The request header, lower-case. */
  readonly requestName: string
  /** The scheme, lower-case, or undefined for a bare token. */
  readonly scheme: string | undefined
  /** The response header, lower-case. */
  readonly responseName: string
  /** What a response that used the session must vary on: `Cookie`, the header, or both. */
  readonly vary: string
}

// RFC 9110 §5.6.2: a field name and an auth-scheme are tokens.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const TRANSPORTS: readonly unknown[] = ['cookie', 'header', 'both']
const HEADER_FIELDS = ['name', 'scheme', 'responseName']
const RESERVED = new Set(['cookie', 'set-cookie', 'host', 'content-length', 'vary'])

function configError(message: string): SessionError {
  return new SessionError('CONFIG', message)
}

function headerName(value: unknown, option: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value) || RESERVED.has(value.toLowerCase())) {
    throw configError(
      `${option} ${JSON.stringify(value)} cannot carry the session token: use a header name made of letters, digits and !#$%&'*+-.^_\`|~ that is not Cookie, Set-Cookie, Host, Content-Length or Vary, e.g. 'x-session-token'.`
    )
  }
  return value.toLowerCase()
}

/**
 * Checks `transport` and `header` and fills in the defaults, once, when the middleware is made.
 * @throws SessionError `CONFIG` with a message that says what to pass
 */
export function resolveTransport(
  transport: SessionTransport | undefined,
  header: HeaderTransportOptions | undefined
): ResolvedTransport {
  const kind = transport ?? 'cookie'
  if (!TRANSPORTS.includes(kind)) {
    throw configError(
      `transport is 'cookie', 'header' or 'both', got ${JSON.stringify(kind)}; omit it for 'cookie'.`
    )
  }
  if (header !== undefined) {
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw configError(
        "header is an object, e.g. header: { name: 'x-session-token' }; omit it for Authorization: Bearer."
      )
    }
    if (kind === 'cookie') {
      throw configError(
        "header is only used by the header transport: pass transport: 'header' (or 'both') with it, or leave header out."
      )
    }
    for (const name of Object.keys(header)) {
      if (!HEADER_FIELDS.includes(name)) {
        throw configError(
          `header.${name} is not a header option; they are name, scheme and responseName.`
        )
      }
    }
  }
  const requestName =
    header?.name === undefined ? 'authorization' : headerName(header.name, 'header.name')
  const authorization = requestName === 'authorization'
  const scheme = header?.scheme === undefined ? (authorization ? 'Bearer' : false) : header.scheme
  if (scheme !== false && (typeof scheme !== 'string' || !TOKEN.test(scheme))) {
    throw configError(
      `header.scheme ${JSON.stringify(scheme)} is not an authentication scheme: use a token such as 'Bearer', or false for a header that holds the bare token.`
    )
  }
  const responseName =
    header?.responseName === undefined
      ? authorization
        ? 'set-auth-token'
        : requestName
      : headerName(header.responseName, 'header.responseName')
  if (responseName === 'authorization') {
    throw configError(
      "header.responseName cannot be Authorization, a request header; omit it for 'set-auth-token'."
    )
  }
  const field = authorization ? 'Authorization' : requestName
  return Object.freeze({
    cookie: kind !== 'header',
    header: kind !== 'cookie',
    requestName,
    scheme: scheme === false ? undefined : scheme.toLowerCase(),
    responseName,
    vary: kind === 'cookie' ? 'Cookie' : kind === 'header' ? field : `Cookie, ${field}`,
  })
}

const SPACE = 0x20
const TAB = 0x09

/**
 * The token in a request header's value: after the scheme and at least one space (RFC 9110
 * §11.4, the scheme in any case), else the whole value; undefined when there is none.
 */
export function tokenOf(value: string | null | undefined, transport: ResolvedTransport) {
  if (value === null || value === undefined) return undefined
  let start = 0
  const scheme = transport.scheme
  if (scheme !== undefined) {
    if (value.length <= scheme.length || value.charCodeAt(scheme.length) !== SPACE) return undefined
    if (value.slice(0, scheme.length).toLowerCase() !== scheme) return undefined
    start = scheme.length
  }
  let end = value.length
  while (start < end && isWhitespace(value.charCodeAt(start))) start++
  while (end > start && isWhitespace(value.charCodeAt(end - 1))) end--
  return start === end ? undefined : value.slice(start, end)
}

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB
}

import { SessionError } from '../core/errors.js'

const SPACE = 0x20
const TAB = 0x09
const EQUALS = 0x3d
const QUOTE = 0x22

/**
 * The values of every cookie called exactly `name` in a `Cookie` request header, in header
 * order. Several can arrive when a sibling subdomain sets a same-name cookie (cookie tossing);
 * the caller takes the first one that verifies. Surrounding double quotes are removed.
 */
export function readCookieValues(header: string | null | undefined, name: string): string[] {
  // Fast path: most requests to most routes carry no session cookie, so do not even split.
  if (!header || name === '' || !header.includes(needleOf(name))) return []
  // Most headers hold the cookie once: an array of one, not one grown by `push`.
  let values: string[] | undefined
  const length = header.length
  let position = 0
  // RFC 6265 §5.4 joins pairs with "; "; be lenient with missing or extra whitespace, empty
  // pieces and pieces without "=" (§5.2 step 1), since proxies and old clients produce them.
  while (position < length) {
    let end = header.indexOf(';', position)
    if (end === -1) end = length
    let start = position
    while (start < end && isWhitespace(header.charCodeAt(start))) start++
    const equals = start + name.length
    if (equals < end && header.charCodeAt(equals) === EQUALS && header.startsWith(name, start)) {
      const value = unquote(header, equals + 1, end)
      if (values === undefined) values = [value]
      else values.push(value)
    }
    position = end + 1
  }
  return values ?? []
}

let needleName = ''
let needle = '='

/** `name=`, built once for the name in use rather than at every request. */
function needleOf(name: string): string {
  if (name !== needleName) {
    needleName = name
    needle = `${name}=`
  }
  return needle
}

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB
}

/** The value between `start` and `end`, trimmed, without one pair of surrounding quotes. */
function unquote(header: string, start: number, end: number): string {
  while (start < end && isWhitespace(header.charCodeAt(start))) start++
  while (end > start && isWhitespace(header.charCodeAt(end - 1))) end--
  // RFC 6265 §4.1.1: cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )
  if (
    end - start >= 2 &&
    header.charCodeAt(start) === QUOTE &&
    header.charCodeAt(end - 1) === QUOTE
  ) {
    start++
    end--
  }
  return header.slice(start, end)
}

/** How the session cookie is named and scoped. */
export interface CookieOptions {
  /**
   * The cookie name, an RFC 6265 token. A `__Host-` name pins the cookie to this host over
   * HTTPS (needs `secure`, no `domain`, path `/`); a `__Secure-` name needs `secure`.
   * @default 'id'
   */
  name?: string | undefined
  /**
   * The URL path prefix the browser sends the cookie to; must start with `/`.
   * @default '/'
   */
  path?: string | undefined
  /**
   * The domain the cookie is shared with (its subdomains included). Leave it out to keep the
   * cookie to the exact host, which is safer.
   * @default undefined
   */
  domain?: string | undefined
  /**
   * Send the cookie over HTTPS only. Browsers treat http://localhost as secure.
   * @default true
   */
  secure?: boolean | undefined
  /**
   * Hide the cookie from `document.cookie`, so injected scripts cannot read the session id.
   * @default true
   */
  httpOnly?: boolean | undefined
  /**
   * Cross-site sending policy; `'None'` needs `secure`.
   * @default 'Lax'
   */
  sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none' | undefined
  /**
   * CHIPS: keep a separate cookie per top-level site when embedded in a third-party frame;
   * needs `secure`.
   * @default false
   */
  partitioned?: boolean | undefined
}

/** {@link CookieOptions} checked and completed with defaults, as `resolveCookieOptions` returns. */
export interface ResolvedCookieOptions {
  /** The cookie name. */
  readonly name: string
  /** The Path attribute. */
  readonly path: string
  /** The Domain attribute, or `undefined` for a host-only cookie. */
  readonly domain: string | undefined
  /** Whether the Secure attribute is set. */
  readonly secure: boolean
  /** Whether the HttpOnly attribute is set. */
  readonly httpOnly: boolean
  /** The SameSite attribute, normalised. */
  readonly sameSite: 'Strict' | 'Lax' | 'None'
  /** Whether the Partitioned attribute is set. */
  readonly partitioned: boolean
  /** The attributes after the value and Max-Age (`; Path=/; HttpOnly; …`), computed once. */
  readonly attributes: string
}

// RFC 6265 §4.1.1 cookie-name = token (RFC 9110 §5.6.2 tchar)
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 6265 §4.1.1 path-value: any CHAR except CTLs or ";"
const PATH = /^\/[\x20-\x3a\x3c-\x7e]*$/
const DOMAIN = /^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/
const SAME_SITE = new Map<unknown, ResolvedCookieOptions['sameSite']>([
  ['Strict', 'Strict'],
  ['strict', 'Strict'],
  ['Lax', 'Lax'],
  ['lax', 'Lax'],
  ['None', 'None'],
  ['none', 'None'],
])

function configError(message: string): SessionError {
  return new SessionError('CONFIG', message)
}

function booleanOption(options: CookieOptions, key: keyof CookieOptions, fallback: boolean) {
  const value = options[key]
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw configError(`cookie.${key} must be true or false (or left out for ${fallback}).`)
  }
  return value
}

/**
 * Checks cookie options and fills in the defaults, once, when the middleware is created.
 * @throws SessionError `CONFIG` with a message that says how to fix the options
 */
export function resolveCookieOptions(options: CookieOptions = {}): ResolvedCookieOptions {
  // `undefined` is left out; `null` is not (a JavaScript caller gets told, not a default).
  const name = options.name === undefined ? 'id' : options.name
  const path = options.path === undefined ? '/' : options.path
  const domain = options.domain
  const secure = booleanOption(options, 'secure', true)
  const httpOnly = booleanOption(options, 'httpOnly', true)
  const partitioned = booleanOption(options, 'partitioned', false)
  const sameSiteOption = options.sameSite === undefined ? 'Lax' : options.sameSite

  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw configError(
      `cookie.name ${JSON.stringify(name)} is not a valid cookie name: use letters, digits and ` +
        "!#$%&'*+-.^_`|~ only (no spaces, control characters, quotes or ()<>@,;:\\/[]?={}), e.g. 'id'."
    )
  }
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw configError(
      `cookie.path ${JSON.stringify(path)} is not valid: it must start with '/' and contain no ` +
        "';', control or non-ASCII characters, e.g. '/' or '/app'."
    )
  }
  if (domain !== undefined && (typeof domain !== 'string' || !DOMAIN.test(domain))) {
    throw configError(
      `cookie.domain ${JSON.stringify(domain)} is not a valid domain: use an ASCII host name ` +
        "such as 'example.com' (punycode for international names), or leave it out for a " +
        'host-only cookie.'
    )
  }
  const sameSite = SAME_SITE.get(sameSiteOption)
  if (sameSite === undefined) {
    throw configError(
      `cookie.sameSite ${JSON.stringify(sameSiteOption)} is not valid: use 'Strict', 'Lax' or 'None'.`
    )
  }
  if (sameSite === 'None' && !secure) {
    throw configError(
      "cookie.sameSite is 'None' but cookie.secure is false: browsers reject SameSite=None " +
        "cookies without Secure. Set secure: true (serve over HTTPS) or use sameSite: 'Lax'."
    )
  }
  if (partitioned && !secure) {
    throw configError(
      'cookie.partitioned is true but cookie.secure is false: browsers reject Partitioned ' +
        'cookies without Secure. Set secure: true or partitioned: false.'
    )
  }
  // RFC 6265bis §4.1.3: browsers match the prefixes case-insensitively.
  const lowerName = name.toLowerCase()
  if (lowerName.startsWith('__secure-') && !secure) {
    throw configError(
      `cookie.name '${name}' has the __Secure- prefix, which browsers only accept with Secure. ` +
        'Set secure: true or choose a name without the prefix.'
    )
  }
  if (lowerName.startsWith('__host-') && (!secure || domain !== undefined || path !== '/')) {
    throw configError(
      `cookie.name '${name}' has the __Host- prefix, which browsers only accept with Secure, ` +
        "no Domain and Path '/'. Set secure: true, leave out domain and use path: '/', or " +
        'choose a name without the prefix.'
    )
  }

  let attributes = ''
  if (domain !== undefined) attributes += `; Domain=${domain}`
  attributes += `; Path=${path}`
  if (httpOnly) attributes += '; HttpOnly'
  if (secure) attributes += '; Secure'
  attributes += `; SameSite=${sameSite}`
  if (partitioned) attributes += '; Partitioned'
  return Object.freeze({ name, path, domain, secure, httpOnly, sameSite, partitioned, attributes })
}

// RFC 6265bis §5.6.2: user agents cap cookie lifetimes at 400 days anyway.
const MAX_AGE_LIMIT = 400 * 24 * 60 * 60

/**
 * The `Set-Cookie` value that stores the session cookie; `maxAge` in seconds (floored, never
 * negative, at most 400 days), left out for a cookie that ends with the browser session.
 */
export function serializeSessionCookie(
  options: ResolvedCookieOptions,
  value: string,
  maxAge?: number
): string {
  if (maxAge === undefined) return `${options.name}=${value}${options.attributes}`
  // Max-Age alone: every browser in use honours it, so Expires would only add bytes.
  const seconds = maxAge > 0 ? Math.min(Math.floor(maxAge), MAX_AGE_LIMIT) : 0
  return `${options.name}=${value}; Max-Age=${seconds}${options.attributes}`
}

/**
 * The `Set-Cookie` value that removes the session cookie: the same name, Path and Domain (a
 * browser only replaces a cookie when they match), empty, expired.
 */
export function serializeRemovalCookie(options: ResolvedCookieOptions): string {
  return `${options.name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${options.attributes}`
}

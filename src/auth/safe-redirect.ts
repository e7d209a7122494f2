import { SessionError } from '../core/errors.js'

/** The origin paths are resolved against: a reserved name (RFC 2606) that is never a real site. */
const ORIGIN = 'https://safe-redirect.invalid'

/** Longer candidates are refused: no real page of the site needs more, and parsing costs. */
const MAX_LENGTH = 2048

/**
 * Characters no local path may hold, raw: backslashes (the WHATWG URL parser reads `\` as `/` in
 * http(s) URLs, so `/\evil.example` is another host), C0 controls and space (it strips tab, CR
 * and LF anywhere, so `/\t/evil.example` is `//evil.example`, and C0 or space at either end), DEL.
 */
// eslint-disable-next-line no-control-regex -- the control characters are the point
const FORBIDDEN = /[\\\u0000-\u0020\u007f]/
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS = /[\u0000-\u0020\u007f]/g

/** Starts with exactly one `/`: `//host` and `/\host` are another site. */
const isRooted = (path: string) => path[0] === '/' && path[1] !== '/' && path[1] !== '\\'

/**
 * `candidate` as a path on this site that every browser resolves here, or `fallback`: for the
 * `next` of a login form, or any redirect target that came with the request. A candidate must
 * start with one `/`, hold no backslash, control or whitespace character, not turn into
 * `//host` once percent-decoded (`/%2F/evil.example`, for a layer that decodes it again), and
 * stay on this origin when the URL parser resolves it (`/.//evil.example` does not: its path is
 * `//evil.example`). What is returned is the parser's serialization: dot segments resolved, and
 * anything non-ASCII percent-encoded, so it is a valid `Location` header.
 * @param fallback where to go instead; itself a local path @default '/'
 * @throws SessionError `CONFIG` when `fallback` is not a local path
 * @example return c.redirect(safeRedirect(form.next), 303)
 */
export function safeRedirect(candidate: unknown, fallback = '/'): string {
  const safeFallback = localPath(fallback)
  if (safeFallback === undefined) {
    throw new SessionError(
      'CONFIG',
      `safeRedirect(candidate, fallback): the fallback must be a path on this site such as '/'; got ${JSON.stringify(fallback)}.`
    )
  }
  return localPath(candidate) ?? safeFallback
}

/** The normalized local path of `candidate`, or undefined when it is not one beyond doubt. */
export function localPath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > MAX_LENGTH) return undefined
  if (!isRooted(candidate) || FORBIDDEN.test(candidate)) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(candidate)
  } catch {
    return undefined // a malformed escape: not a path any page of the site links to
  }
  // Encoded controls and backslashes count as what they decode to: `/%09/x`, `/%5Cx`.
  if (!isRooted(decoded.replace(CONTROLS, '').replaceAll('\\', '/'))) return undefined
  let url: URL
  try {
    url = new URL(candidate, ORIGIN)
  } catch {
    return undefined
  }
  if (url.origin !== ORIGIN) return undefined
  const path = url.pathname + url.search + url.hash
  return isRooted(path) ? path : undefined
}

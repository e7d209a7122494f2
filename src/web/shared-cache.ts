/*
 * Keeping shared caches (CDNs, proxies) from storing a response that sets the session cookie:
 * a stored one would hand one visitor's cookie to the next (the class of Flask's CVE-2023-30861).
 * Pure functions over header values; `response-headers.ts` applies them.
 *
 * RFC 9111 §3 lets a shared cache store a response unless it carries `no-store` or an
 * unqualified `private`: `max-age`, `Expires`, `public`, `s-maxage`, or no header at all
 * (heuristic freshness, §4.2.2) all allow it, and so do `no-cache` and `must-revalidate` (they
 * only require revalidation before reuse, and a 304 would then serve the stored Set-Cookie).
 * `private="field"` (§5.2.2.7) still lets a shared cache store the rest of the response.
 * Directive names compare case-insensitively (§5.2); an argument may be a quoted string, so a
 * comma inside quotes does not end a directive.
 */

const COMMA = 0x2c
const QUOTE = 0x22
const BACKSLASH = 0x5c
const SPACE = 0x20
const TAB = 0x09
const EQUALS = 0x3d
const SEMICOLON = 0x3b

/**
 * Fields read only by shared caches, each instead of `Cache-Control` when present: RFC 9213's
 * `CDN-Cache-Control` and `Surrogate-Control` (W3C Edge Architecture 1.0). A CDN's own targeted
 * field (`Cloudflare-CDN-Cache-Control`, …) is not checked: each name costs a header lookup on
 * every response that sets the cookie (README, "Security notes").
 */
export const SHARED_CACHE_FIELDS = ['cdn-cache-control', 'surrogate-control'] as const

/**
 * The `Cache-Control` a response that sets the session cookie must carry instead of `value`, or
 * undefined when `value` already forbids shared caches to store it. What only a shared cache
 * may use (`public`, `s-maxage`, a qualified `private`) is dropped and `private` put first; the
 * rest (`max-age`, `no-cache`, …) still guides the browser's own cache.
 * @example privateCacheControl('public, max-age=600') // 'private, max-age=600'
 */
export function privateCacheControl(value: string | null): string | undefined {
  if (value === null) return 'private'
  const verdict = classify(value, 'private', 'no-store')
  if (verdict === SAFE) return undefined
  // The usual case (`max-age=60`, `no-cache`): nothing to drop, so nothing to split.
  if (verdict === PREPEND) return value === '' ? 'private' : `private, ${value}`
  let result = 'private'
  for (const directive of directivesOf(value)) {
    const name = directive.name
    if (name === 'public' || name === 's-maxage' || name === 'private') continue
    result += `, ${directive.text}`
  }
  return result
}

/**
 * The value a shared-cache-only field (one of {@link SHARED_CACHE_FIELDS}) must carry instead of
 * `value` on a response that sets the session cookie, or undefined when it needs no change: an
 * absent field leaves shared caches to `Cache-Control` (made private), one that already says
 * `no-store` (or `private`, where the field has Cache-Control's directives) is kept. Anything
 * else is replaced by `no-store`: its directives only ever tell a shared cache how to store.
 */
export function unstorableSharedControl(
  field: (typeof SHARED_CACHE_FIELDS)[number],
  value: string | null
): string | undefined {
  if (value === null) return undefined
  // Surrogate-Control has no `private` directive (Edge Architecture 1.0 §3).
  const alsoSafe = field === 'surrogate-control' ? 'no-store' : 'private'
  return classify(value, 'no-store', alsoSafe) === SAFE ? undefined : 'no-store'
}

/** One directive of a list: its name lower-cased, and its text as written, trimmed. */
interface Directive {
  readonly name: string
  readonly text: string
}

/** The end of the list member that starts at `start`: the next comma outside a quoted string. */
function memberEnd(value: string, start: number): number {
  let quoted = false
  for (let i = start; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (quoted) {
      if (code === BACKSLASH) i++
      else if (code === QUOTE) quoted = false
    } else if (code === QUOTE) quoted = true
    else if (code === COMMA) return i
  }
  return value.length
}

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB
}

function isNameEnd(code: number): boolean {
  return code === EQUALS || code === SEMICOLON || isWhitespace(code)
}

/** A bare `a` or `b` is in the list: a shared cache will not store the response. */
const SAFE = 0
/** Neither, nor anything to drop: `private` only has to be put first. */
const PREPEND = 1
/** Neither, and a directive only a shared cache uses (`public`, `s-maxage`, `private="…"`). */
const REWRITE = 2

/**
 * How the list stands ({@link SAFE}, {@link PREPEND} or {@link REWRITE}) for the bare (no
 * argument, no parameters) directives `a` and `b`, without allocating: the check every response
 * with our cookie and a caching header of its own runs.
 */
function classify(value: string, a: string, b: string): number {
  let verdict = PREPEND
  for (let start = 0; start < value.length;) {
    const end = memberEnd(value, start)
    let from = start
    let to = end
    while (from < to && isWhitespace(value.charCodeAt(from))) from++
    while (to > from && isWhitespace(value.charCodeAt(to - 1))) to--
    let nameEnd = from
    while (nameEnd < to && !isNameEnd(value.charCodeAt(nameEnd))) nameEnd++
    if (nameEnd === to && (nameIs(value, from, to, a) || nameIs(value, from, to, b))) return SAFE
    if (
      nameIs(value, from, nameEnd, 'public') ||
      nameIs(value, from, nameEnd, 's-maxage') ||
      nameIs(value, from, nameEnd, 'private')
    ) {
      verdict = REWRITE
    }
    start = end + 1
  }
  return verdict
}

/** Whether `value[from, to)` is `word` (lower case) in any case. */
function nameIs(value: string, from: number, to: number, word: string): boolean {
  if (to - from !== word.length) return false
  for (let i = 0; i < word.length; i++) {
    // ASCII letters only differ in bit 0x20; '-' (0x2d) and digits are compared as they are.
    const code = value.charCodeAt(from + i)
    const lower = code >= 0x41 && code <= 0x5a ? code | 0x20 : code
    if (lower !== word.charCodeAt(i)) return false
  }
  return true
}

/** The directives of a list, empty members skipped. */
function directivesOf(value: string): Directive[] {
  const directives: Directive[] = []
  for (let start = 0; start < value.length;) {
    const end = memberEnd(value, start)
    const text = value.slice(start, end).trim()
    if (text !== '') {
      let nameEnd = 0
      while (nameEnd < text.length && !isNameEnd(text.charCodeAt(nameEnd))) nameEnd++
      directives.push({ name: text.slice(0, nameEnd).toLowerCase(), text })
    }
    start = end + 1
  }
  return directives
}

/*
 * The user agent a "where you're signed in" page shows: a short summary such as "Firefox 133 on
 * macOS", never the whole header (it is a fingerprint, and as long as the client likes). Only the
 * first MAX_HEADER characters are read, with patterns that cannot backtrack, so a hostile header
 * costs nothing.
 */

const MAX_HEADER = 512

/** Browsers, most specific first: Edge and Opera say "Chrome" too, Chrome says "Safari". */
const BROWSERS: readonly (readonly [name: string, pattern: RegExp])[] = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/(\d{1,4})/],
  ['Opera', /\b(?:OPR|OPiOS)\/(\d{1,4})/],
  ['Samsung Internet', /\bSamsungBrowser\/(\d{1,4})/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d{1,4})/],
  ['Chrome', /\b(?:Chrome|CriOS)\/(\d{1,4})/],
  ['Safari', /\bVersion\/(\d{1,4})[\d.]{0,12} (?:Mobile\/\w{1,12} )?Safari\//],
]

/** Systems, most specific first: iOS and Android say "like Mac OS X" and "Linux". */
const SYSTEMS: readonly (readonly [name: string, pattern: RegExp])[] = [
  ['iOS', /\b(?:iPhone|iPad|iPod)\b/],
  ['Android', /\bAndroid\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['Windows', /\bWindows\b/],
  ['macOS', /\bMac OS X\b|\bMacintosh\b/],
  ['Linux', /\bLinux\b/],
]

/** The product token a tool sends first, as `curl/8.4.0`: its name and major version. */
const PRODUCT = /^([A-Za-z][\w.-]{0,31})\/(\d{1,4})/

/**
 * A short summary of a `User-Agent` header: "Firefox 133 on macOS", "Safari 18 on iOS",
 * "curl 8"; `undefined` for a missing or unrecognised header.
 * @example summarizeUserAgent(c.req.header('user-agent')) // 'Chrome 131 on Windows'
 */
export function summarizeUserAgent(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined
  const ua = header.slice(0, MAX_HEADER)
  const system = SYSTEMS.find(([, pattern]) => pattern.test(ua))?.[0]
  for (const [name, pattern] of BROWSERS) {
    const major = pattern.exec(ua)?.[1]
    if (major !== undefined)
      return system === undefined ? `${name} ${major}` : `${name} ${major} on ${system}`
  }
  const product = PRODUCT.exec(ua)
  if (product !== null && product[1] !== 'Mozilla') return `${product[1]} ${product[2]}`
  return system
}

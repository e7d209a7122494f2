import type { CookieOptions } from '../cookie/header.js'
import { SessionError } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { SessionMiddlewareOptions } from './middleware.js'

/*
 * The run-time check of `sessionMiddleware`'s options, once, when the middleware is created:
 * JavaScript callers and casts get no help from the types, and a wrong option must not start an
 * app that then misbehaves (`expiry: 3600` gave every cookie Max-Age=0). A value of the wrong
 * type, and an unknown name, is a `CONFIG` error that says what to pass. Unknown names are
 * refused rather than warned of: a misspelled option (`absoluteTimout: 900`) would silently mean
 * its default, which for the security options is the laxer one, and a warning is easily missed.
 * The values of `secret` and `cookie`'s fields are checked where they are used (the key ring in
 * `src/cookie/secret.ts`, the attributes in `resolveCookieOptions`).
 */

type Check = (value: unknown) => void

/** Node's timers wait at most 2^31 - 1 ms; a longer timeout would fire after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1

const ABSOLUTE_TIMEOUT_DEFAULT =
  'the default (no limit; 12 hours with a CookieStore) or pass Infinity for no limit'

/** Every option and the check of a value given for it (an `undefined` value is omitted). */
const OPTIONS: { readonly [K in keyof SessionMiddlewareOptions]-?: Check } = {
  secret: () => {
    // Checked with the rest of the key ring where it is used (src/cookie/secret.ts).
  },
  store: checkStore,
  cookie: checkCookie,
  expiry: checkExpiry,
  absoluteTimeout: (value) => {
    if (value === Infinity) return
    checkPositive(value, 'absoluteTimeout', 'a number of seconds', ABSOLUTE_TIMEOUT_DEFAULT)
  },
  alwaysSave: (value) => {
    if (typeof value === 'boolean') return
    throw configError(`alwaysSave must be true or false, got ${shown(value)}; omit it for false.`)
  },
  touchAfter: (value) =>
    checkPositive(value, 'touchAfter', 'a number of seconds', 'no rolling re-saves'),
  contextKey: (value) => {
    if (typeof value === 'string' && value !== '') return
    throw configError('contextKey is the c.var key of the session, a non-empty string.')
  },
  storeTimeout: (value) => {
    checkPositive(value, 'storeTimeout', 'a number of milliseconds', '5000')
    if ((value as number) <= MAX_TIMER_MS) return
    throw configError(
      `storeTimeout is at most ${MAX_TIMER_MS} milliseconds (about 24.8 days, the longest a timer waits), got ${shown(value)}; omit it for 5000.`
    )
  },
  conflictTimeout: (value) =>
    checkPositive(value, 'conflictTimeout', 'a number of milliseconds', '3000'),
  maxSize: (value) => checkPositive(value, 'maxSize', 'a number of bytes', '1 MiB'),
  clientIp: (value) => {
    if (typeof value === 'function') return
    throw configError(
      `clientIp is a function of the context returning the client's IP address, e.g. (c) => c.req.header('x-real-ip'), got ${shown(value)}; omit it for the connection's peer address.`
    )
  },
}

const COOKIE_FIELDS: { readonly [K in keyof CookieOptions]-?: true } = {
  name: true,
  path: true,
  domain: true,
  secure: true,
  httpOnly: true,
  sameSite: true,
  partitioned: true,
}

const EXPIRY_BUILDERS =
  'Expiry.onInactivity(seconds), Expiry.onSessionEnd() or Expiry.atDate(date) (import { Expiry } from "typed-sessions")'
const LIFETIME_HINT =
  "for a session that ends after a time without requests, pass expiry: Expiry.onInactivity(seconds), in seconds (express-session's maxAge counts milliseconds)"
const COOKIE_NAME_HINT = 'the cookie name goes in cookie: { name }'
const ALWAYS_SAVE_HINT =
  'to re-save sessions that were only read, pass alwaysSave: true or touchAfter: seconds'

/** What to pass instead of an option of another session library. */
const OPTION_HINTS: Readonly<Record<string, string>> = {
  maxAge: LIFETIME_HINT,
  ttl: LIFETIME_HINT,
  expireAfterSeconds: LIFETIME_HINT,
  expires: 'for a session that ends at a fixed time, pass expiry: Expiry.atDate(date)',
  name: COOKIE_NAME_HINT,
  key: COOKIE_NAME_HINT,
  cookieName: COOKIE_NAME_HINT,
  sessionCookieName: COOKIE_NAME_HINT,
  cookieOptions: 'the cookie attributes go in cookie: { path, domain, secure, … }',
  secrets: 'a key ring goes in secret: [current, ...previous]',
  keys: 'a key ring goes in secret: [current, ...previous]',
  encryptionKey: 'pass secret, and store: new CookieStore() to keep sessions in the cookie',
  rolling: ALWAYS_SAVE_HINT,
  resave: ALWAYS_SAVE_HINT,
  autoExtendExpiration: ALWAYS_SAVE_HINT,
  saveUninitialized: 'it is not needed: a session is only saved once it holds data',
}

/** What to pass instead of a cookie option of another library. */
const COOKIE_HINTS: Readonly<Record<string, string>> = {
  maxAge: `the cookie lives as long as the session; ${LIFETIME_HINT}`,
  expires:
    'the cookie lives as long as the session; for a fixed end, pass expiry: Expiry.atDate(date)',
  signed: 'the session cookie is always signed (sealed, with a CookieStore)',
}

/**
 * Checks every option of `sessionMiddleware`: its name, and the type and range of its value.
 * @throws SessionError `CONFIG` for the first wrong option, with a message that says what to pass
 */
export function checkMiddlewareOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw configError(
      'sessionMiddleware(definition, options) needs options with at least `secret`.'
    )
  }
  const given = options as Record<string, unknown>
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(OPTIONS, name)) {
      throw unknownName(name, 'an option of sessionMiddleware', OPTIONS, OPTION_HINTS)
    }
  }
  // Read as the middleware reads them, so an inherited or getter-made value is checked too.
  for (const name of Object.keys(OPTIONS) as (keyof SessionMiddlewareOptions)[]) {
    const value = given[name]
    if (value !== undefined) OPTIONS[name](value)
  }
}

function checkPositive(value: unknown, option: string, unit: string, omitted: string): void {
  if (typeof value === 'number' && value > 0 && value < Infinity) return
  throw configError(`${option} is ${unit} > 0, got ${shown(value)}; omit it for ${omitted}.`)
}

function checkStore(value: unknown): void {
  if (typeof value === 'function') {
    throw configError(
      'store is a class or a function; pass an instance, e.g. store: new MemoryStore() or new RedisStore(client).'
    )
  }
  const store = value as Record<string, unknown>
  const missing =
    typeof value === 'object' && value !== null
      ? ['create', 'load', 'save', 'delete'].filter((method) => typeof store[method] !== 'function')
      : []
  if (typeof value === 'object' && value !== null && missing.length === 0) return
  throw configError(
    typeof value === 'object' && value !== null
      ? `store has no ${orList(missing)} method, so it is not a SessionStore. Pass a store built on your client (e.g. new RedisStore(client), new PostgresStore(pool)), not the client itself; omit it for the default MemoryStore.`
      : `store must be a SessionStore such as new MemoryStore() or new RedisStore(client), got ${shown(value)}; omit it for the default MemoryStore.`
  )
}

function checkCookie(value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(
      `cookie is an object of cookie attributes, e.g. cookie: { name: '__Host-id' }, got ${shown(value)}; omit it for the defaults.`
    )
  }
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(COOKIE_FIELDS, name)) {
      throw unknownName(`cookie.${name}`, 'a cookie option', COOKIE_FIELDS, COOKIE_HINTS)
    }
  }
}

function checkExpiry(value: unknown): void {
  if (isExpiry(value)) return
  if (typeof value === 'number') {
    const seconds = Number.isFinite(value) && value >= 0 ? String(value) : 'seconds'
    throw configError(
      `expiry is an Expiry, not a number: use Expiry.onInactivity(${seconds}) for a session that ends that many seconds (not milliseconds) after its last request, or Expiry.atDate(date) for a fixed end.`
    )
  }
  if (value instanceof Date) {
    throw configError('expiry is an Expiry, not a Date: use Expiry.atDate(date).')
  }
  if (typeof value === 'function') {
    throw configError(
      'expiry is an Expiry value, not a function: call the builder, e.g. Expiry.onInactivity(60 * 60).'
    )
  }
  throw configError(`expiry must be made by ${EXPIRY_BUILDERS}, got ${shown(value)}.`)
}

/** Whether `value` is an `Expiry` the builders could have made (the rules of a stored one). */
function isExpiry(value: unknown): boolean {
  try {
    return parseExpiry(value) !== undefined
  } catch {
    return false // out of range: a builder would have refused it
  }
}

/**
 * The error for an unknown option `name` (`what` says of what), with what to pass instead: a
 * hint for another library's option, else the nearest known name, else the list of them.
 */
function unknownName(
  label: string,
  what: string,
  known: object,
  hints: Readonly<Record<string, string>>
): SessionError {
  const name = label.slice(label.lastIndexOf('.') + 1)
  if (Object.hasOwn(hints, name)) return configError(`${label} is not ${what}: ${hints[name]!}.`)
  const names = Object.keys(known)
  const near = names.find((candidate) => isNear(name, candidate))
  const advice = near === undefined ? '' : ` Did you mean ${near}?`
  return configError(`${label} is not ${what}.${advice} The options are ${andList(names)}.`)
}

function andList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`
}

function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`
}

/** A typo of `candidate`: the same letters in another case, or at most two edits away. */
function isNear(name: string, candidate: string): boolean {
  const a = name.toLowerCase()
  const b = candidate.toLowerCase()
  if (a === b) return true
  if (Math.abs(a.length - b.length) > 2 || b.length < 5) return false
  // Levenshtein distance, one row at a time.
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + cost)
    }
    row = next
  }
  return row[b.length]! <= 2
}

/** A wrong value as a message shows it: short, and typed where that is the mistake. */
function shown(value: unknown): string {
  if (typeof value === 'string') {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value
    return `the string ${JSON.stringify(text)}`
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value)
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

function configError(message: string): SessionError {
  return new SessionError('CONFIG', message)
}

import type { CookieOptions } from '../cookie/header.js'
import { parseExpiry } from '../core/expiry.js'
import { configError, orList, shown, unknownName } from './option-messages.js'
import type { SessionEvents } from '../core/events.js'
import type { SessionOptions } from './options.js'

/*
 * The run-time check of the options (`sessionMiddleware`'s, `fetchSessions`'), once, when the
 * middleware is created:
 * JavaScript callers and casts get no help from the types, and a wrong option must not start an
 * app that then misbehaves (`expiry: 3600` gave every cookie Max-Age=0). A value of the wrong
 * type, and an unknown name, is a `CONFIG` error that says what to pass. Unknown names are
 * refused rather than warned of: a misspelled option (`absoluteTimout: 900`) would silently mean
 * its default, which for the security options is the laxer one, and a warning is easily missed.
 * The values of `secret` and `cookie`'s fields are checked where they are used (the key ring in
 * `src/cookie/secret.ts`, the attributes in `resolveCookieOptions`).
 */

/** The check of one option's value. */
export type Check = (value: unknown) => void

/** Node's timers wait at most 2^31 - 1 ms; a longer timeout would fire after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1

const ABSOLUTE_TIMEOUT_DEFAULT =
  'the default (no limit; 12 hours with a CookieStore) or pass Infinity for no limit'

/** Every shared option and the check of a value given for it (`undefined` is omitted). */
const OPTIONS: { readonly [K in keyof SessionOptions]-?: Check } = {
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
  on: checkEvents,
  transport: () => {
    // Checked with `header` where both are resolved (src/web/transport.ts).
  },
  header: () => {},
}

const EVENT_NAMES: { readonly [K in keyof SessionEvents]-?: true } = {
  created: true,
  loaded: true,
  saved: true,
  cycled: true,
  flushed: true,
  expired: true,
  invalid: true,
  conflict: true,
  storeError: true,
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
 * Checks every option of `entry` (`sessionMiddleware`, `fetchSessions`): the shared ones and
 * the entry's own (`extra`), by name, and the type and range of each value.
 * @throws SessionError `CONFIG` for the first wrong option, with a message that says what to pass
 */
export function checkSessionOptions(
  options: unknown,
  entry: string,
  extra: Readonly<Record<string, Check>>
): void {
  if (typeof options !== 'object' || options === null) {
    throw configError(`${entry}(definition, options) needs options with at least \`secret\`.`)
  }
  const known: Readonly<Record<string, Check>> = { ...OPTIONS, ...extra }
  const given = options as Record<string, unknown>
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(known, name)) {
      throw unknownName(name, `an option of ${entry}`, known, OPTION_HINTS)
    }
  }
  // Read as the middleware reads them, so an inherited or getter-made value is checked too.
  for (const name of Object.keys(known)) {
    const value = given[name]
    if (value !== undefined) known[name]!(value)
  }
}

function checkEvents(value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(
      `on is an object of event handlers, e.g. on: { saved(e) { … } }, got ${shown(value)}; omit it for none.`
    )
  }
  const handlers = value as Record<string, unknown>
  for (const name of Object.keys(handlers)) {
    if (!Object.hasOwn(EVENT_NAMES, name)) {
      throw unknownName(`on.${name}`, 'a session event', EVENT_NAMES, {})
    }
  }
  for (const name of Object.keys(EVENT_NAMES)) {
    const handler = handlers[name]
    if (handler !== undefined && typeof handler !== 'function') {
      throw configError(`on.${name} is a function of the event, got ${shown(handler)}.`)
    }
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

import { SessionError } from './errors.js'

/** Django's SESSION_COOKIE_AGE: how long a browser-session record is kept, in seconds. */
const TWO_WEEKS = 14 * 24 * 60 * 60
/** 100,000 years: past it, an expiry instant would leave the range of a `Date`. */
const MAX_SECONDS = 100_000 * 365 * 24 * 60 * 60

/**
 * When a session ends. Persisted in the record when set per session with `setExpiry`.
 * - `onSessionEnd`: a browser-session cookie (no Max-Age); the record is kept `ttl` seconds
 *   after its last save.
 * - `onInactivity`: the cookie and the record end `seconds` after the last save.
 * - `atDate`: the cookie and the record end at a fixed instant (`at`, epoch milliseconds).
 */
export type Expiry =
  | { readonly kind: 'onSessionEnd'; readonly ttl: number }
  | { readonly kind: 'onInactivity'; readonly seconds: number }
  | { readonly kind: 'atDate'; readonly at: number }

function checkSeconds(name: string, seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_SECONDS) {
    throw new SessionError(
      'CONFIG',
      `${name} takes a number of seconds >= 0 (and under 100,000 years), got ${seconds}. Pass e.g. 60 * 60 for one hour.`
    )
  }
  return seconds
}

/** Builders of `Expiry` values. */
export const Expiry = {
  /**
   * The cookie lasts until the browser closes; the stored record is kept `ttl` seconds after
   * its last save.
   * @default ttl 1209600 (14 days, Django's default)
   */
  onSessionEnd(ttl: number = TWO_WEEKS): Expiry {
    return { kind: 'onSessionEnd', ttl: checkSeconds('Expiry.onSessionEnd(ttl)', ttl) }
  },
  /** The session ends `seconds` after the last request that saved it. */
  onInactivity(seconds: number): Expiry {
    return { kind: 'onInactivity', seconds: checkSeconds('Expiry.onInactivity(seconds)', seconds) }
  },
  /** The session ends at `date`, whatever the activity. */
  atDate(date: Date | number): Expiry {
    const at = typeof date === 'number' ? date : date.getTime()
    if (Number.isNaN(new Date(at).getTime())) {
      throw new SessionError(
        'CONFIG',
        'Expiry.atDate(date) got an invalid date; pass a valid Date.'
      )
    }
    return { kind: 'atDate', at }
  },
} as const

/** The instant (epoch ms) a session with this expiry, saved at `now`, ends. */
export function expiresAtFor(expiry: Expiry, now: number): number {
  switch (expiry.kind) {
    case 'onSessionEnd':
      return now + expiry.ttl * 1000
    case 'onInactivity':
      return now + expiry.seconds * 1000
    case 'atDate':
      return expiry.at
  }
}

/**
 * Reads a stored expiry back, or `undefined` if the record holds none or a malformed one (also
 * one out of range, e.g. negative seconds: never a `CONFIG` error from a stored record).
 */
export function parseExpiry(value: unknown): Expiry | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  try {
    if (v.kind === 'onSessionEnd' && typeof v.ttl === 'number') return Expiry.onSessionEnd(v.ttl)
    if (v.kind === 'onInactivity' && typeof v.seconds === 'number')
      return Expiry.onInactivity(v.seconds)
    if (v.kind === 'atDate' && typeof v.at === 'number') return Expiry.atDate(v.at)
  } catch {
    return undefined
  }
  return undefined
}

/** Seconds from `now` to `instant`, rounded up, never negative. */
export function secondsUntil(instant: number, now: number): number {
  // Rounded up: the cookie may outlive the record by under a second (the server still ends
  // the session), but must not end early, e.g. at Max-Age=0 for a 1-second timeout.
  return Math.max(0, Math.ceil((instant - now) / 1000))
}

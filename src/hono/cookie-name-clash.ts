import type { Context } from 'hono'
import { SessionError } from '../core/errors.js'

/*
 * Several session middlewares may run on one request (an admin session and a visitor one, each
 * on its own `c.var` key); each registers on the context, and two that would read and write the
 * same cookie are a configuration mistake, reported on the first request that meets both.
 */

/** Which session a middleware puts on the context, under which cookie name. */
export interface Registration {
  readonly cookieName: string
  readonly contextKey: string
}

/**
 * Where the session middlewares of a request register: a property of the context itself, not a
 * `c.set` variable, which every `c.var` read of the app would copy.
 */
const REGISTRATIONS = Symbol('typed-sessions.middlewares')

/**
 * Two session middlewares on one request must not read and write the same cookie. The first
 * middleware of a request stores its constant registration (no allocation per request); only a
 * second one builds a list.
 */
export function checkCookieNameClash(c: Context, registration: Registration): void {
  const holder = c as unknown as { [REGISTRATIONS]?: Registration | Registration[] }
  const previous = holder[REGISTRATIONS]
  if (previous === undefined) {
    holder[REGISTRATIONS] = registration
    return
  }
  const all = Array.isArray(previous) ? previous : [previous]
  for (const other of all) {
    if (
      other.cookieName === registration.cookieName &&
      other.contextKey !== registration.contextKey
    ) {
      throw new SessionError(
        'CONFIG',
        `The sessions on c.var.${other.contextKey} and c.var.${registration.contextKey} both use the cookie "${registration.cookieName}"; give each session middleware its own cookie name (cookie: { name }).`
      )
    }
  }
  holder[REGISTRATIONS] = [...all, registration]
}

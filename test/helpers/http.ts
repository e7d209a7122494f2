import { Hono } from 'hono'
import { expect } from 'vitest'
import type { SessionDefinition, SessionSchema } from 'typed-sessions'
import {
  sessionMiddleware,
  type SessionEnv,
  type SessionMiddlewareOptions,
} from 'typed-sessions/hono'

/** A secret long enough for the middleware; tests that rotate keys use `OTHER_SECRET`. */
export const SECRET = 'test secret: at least thirty-two characters long'
export const OTHER_SECRET = 'another secret, also thirty-two characters or more'

/** A Hono app with the session middleware, for routing tests through `app.request()`. */
export function sessionApp<S extends SessionSchema>(
  definition: SessionDefinition<S>,
  options: Partial<SessionMiddlewareOptions> = {}
) {
  const app = new Hono<SessionEnv<SessionDefinition<S>>>()
  app.use(sessionMiddleware(definition, { secret: SECRET, ...options }))
  return app
}

/** One parsed `Set-Cookie` header. */
export interface SetCookie {
  name: string
  value: string
  attributes: Record<string, string | true>
}

/** Every `Set-Cookie` of a response, parsed; attribute names lower-cased. */
export function setCookies(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map((line) => {
    const [pair = '', ...rest] = line.split(';')
    const eq = pair.indexOf('=')
    const attributes: Record<string, string | true> = {}
    for (const part of rest) {
      const [key = '', ...value] = part.trim().split('=')
      attributes[key.toLowerCase()] = value.length > 0 ? value.join('=') : true
    }
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes }
  })
}

/** The one `Set-Cookie` for `name`, or undefined; fails the test if there are several. */
export function sessionCookie(response: Response, name = 'id'): SetCookie | undefined {
  const found = setCookies(response).filter((cookie) => cookie.name === name)
  if (found.length > 1) throw new Error(`expected at most one ${name} cookie, got ${found.length}`)
  return found[0]
}

/**
 * A browser-like cookie jar over `app.request()`: sends what it holds, keeps what it is set,
 * forgets what is removed.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>()

  constructor(private readonly app: { request: Hono['request'] }) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) {
      headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const response = await this.app.request(path, { ...init, headers })
    for (const cookie of setCookies(response)) {
      if (cookie.attributes['max-age'] === '0' || cookie.value === '')
        this.cookies.delete(cookie.name)
      else this.cookies.set(cookie.name, cookie.value)
    }
    return response
  }

  async text(path: string, init?: RequestInit): Promise<string> {
    return (await this.fetch(path, init)).text()
  }
}

/**
 * Two visitors count on `app` (the counter of examples/): each has their own count. Returns
 * their jars, for checks of what the store holds (alice at 3, bob at 1).
 */
export async function countTwoVisitors(app: { request: Hono['request'] }) {
  const alice = new CookieJar(app)
  const bob = new CookieJar(app)
  const counts = [
    await alice.text('/'),
    await alice.text('/'),
    await bob.text('/'),
    await alice.text('/'),
  ]
  expect(counts).toEqual([
    'Current count: 0',
    'Current count: 1',
    'Current count: 0',
    'Current count: 2',
  ])
  return { alice, bob }
}

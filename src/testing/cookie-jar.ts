import type { Hono } from 'hono'

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

/** The session id inside a signed cookie value (`${id}.${tag}`). */
export function idOfCookie(value: string): string {
  return value.slice(0, value.indexOf('.'))
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

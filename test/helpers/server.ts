import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { setCookies } from './http.js'

/** An app served on a loopback port for one test file. */
export interface ServedApp {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  /** Stops the server and ends its idle keep-alive connections. */
  close(): Promise<void>
}

/**
 * Serves `app` with `@hono/node-server` on a free loopback port: the same scenarios as through
 * `app.request()`, over real sockets and real header parsing (h3's habit).
 * @example
 * const server = await listen(app)
 * afterAll(() => server.close())
 */
export function listen(app: { fetch: (request: Request) => Response | Promise<Response> }) {
  return new Promise<ServedApp>((resolve) => {
    const server = serve(
      { fetch: app.fetch, hostname: '127.0.0.1', port: 0 },
      (info: AddressInfo) =>
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              if ('closeAllConnections' in server) server.closeAllConnections()
              server.close(() => done())
            }),
        })
    )
  })
}

/**
 * A cookie jar over real `fetch` to one server: sends what it holds, keeps what it is set,
 * forgets what is removed; redirects are not followed, so a test sees each response.
 */
export class HttpCookieJar {
  readonly cookies = new Map<string, string>()

  constructor(private readonly baseUrl: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) {
      headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      ...init,
      headers,
      redirect: 'manual',
    })
    for (const cookie of setCookies(response)) {
      if (cookie.attributes['max-age'] === '0' || cookie.value === '') {
        this.cookies.delete(cookie.name)
      } else this.cookies.set(cookie.name, cookie.value)
    }
    return response
  }

  async text(path: string, init?: RequestInit): Promise<string> {
    return (await this.fetch(path, init)).text()
  }
}

/** Anything with Hono's `fetch`: an app, or a Worker's default export bound to its env. */
export interface Fetchable {
  fetch(request: Request): Response | Promise<Response>
}

/**
 * A browser-like cookie jar over `app.fetch`, with no test framework behind it, so the runtime
 * scenarios run the same on Node, Bun, Deno and workerd: sends what it holds, keeps what it is
 * set, forgets what is removed.
 */
export class FetchJar {
  readonly cookies = new Map<string, string>()

  constructor(private readonly app: Fetchable) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) {
      headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const response = await this.app.fetch(
      new Request(new URL(path, 'http://localhost'), { ...init, headers })
    )
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (/;\s*max-age=0(;|$)/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  async text(path: string, init?: RequestInit): Promise<string> {
    return (await this.fetch(path, init)).text()
  }
}

import type { SessionStore } from 'typed-sessions'
import { createAuthApp, type Users } from '../../examples/auth.js'
import { CookieJar } from './http.js'
import { movableClock } from './per-user-app.js'
import { HttpCookieJar, listen } from './server.js'
import { deferred } from './stores.js'

/** What the scenarios need of a cookie jar: in process (`app.request`) or over real HTTP. */
export interface Jar {
  cookies: Map<string, string>
  fetch(path: string, init?: RequestInit): Promise<Response>
  text(path: string, init?: RequestInit): Promise<string>
}

/** The user agents of the scenarios' laptop and phone: "Firefox 133 on macOS", "Safari 18 on iOS". */
export const FIREFOX_ON_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0'
export const SAFARI_ON_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'

/** The home page's line saying who is logged in (a request of its own). */
export const whoOf = async (jar: Jar) => /<p id="who">([^<]*)<\/p>/.exec(await jar.text('/'))?.[1]

/** The CSRF token of a page's (first) form. */
export const tokenOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? 'none'

/** The flash messages a page shows. */
export const flashesOf = (page: string) =>
  [...page.matchAll(/<p class="flash">([^<]*)<\/p>/g)].map((m) => m[1])

/** One row of the devices page, as the page shows it. */
export interface DeviceRow {
  current: boolean
  agent: string
  network: string
  /** The `datetime` of the "First seen" and "Last seen" cells, in epoch milliseconds. */
  createdAt: number
  lastSeenAt: number
  /** The handle its "Sign out" form posts; undefined for this device, which has none. */
  handle: string | undefined
}

/** The rows of the devices page, in the page's order. */
export function devicesOf(page: string): DeviceRow[] {
  return [...page.matchAll(/<tr class="device( current)?">([\s\S]*?)<\/tr>/g)].map((row) => {
    const cell = (pattern: RegExp) => pattern.exec(row[2]!)?.[1]
    const time = (name: string) =>
      Date.parse(cell(new RegExp(`class="${name}"><time datetime="([^"]+)"`)) ?? '')
    return {
      current: row[1] !== undefined,
      agent: cell(/class="agent">([^<]*)</) ?? '',
      network: cell(/class="ip">([^<]*)</) ?? '',
      createdAt: time('created'),
      lastSeenAt: time('seen'),
      handle: cell(/name="handle" value="([^"]+)"/),
    }
  })
}

/** A form post of `fields`, with `headers`. */
export const post = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
})

/** Options of `logIn`. */
export interface LogInOptions {
  /** The `next` of the login form. @default '/' */
  next?: string
  /** @default 'ada' */
  username?: string
  /** The browser's `User-Agent` header at the login. */
  userAgent?: string
}

/** Opens the login form (for `next`) and posts it with the form's token. */
export async function logIn(jar: Jar, password: string, options: LogInOptions = {}) {
  const { next = '/', username = 'ada', userAgent } = options
  const form = await jar.text(`/login?next=${encodeURIComponent(next)}`)
  const headers: Record<string, string> = userAgent === undefined ? {} : { 'user-agent': userAgent }
  return jar.fetch('/login', post({ _csrf: tokenOf(form), username, password, next }, headers))
}

/** The example app, started by one of `exampleSetups`. */
export interface StartedExample {
  /** A new browser: an empty cookie jar. */
  jar(): Jar
  users: Users
  /** The auth clock of the app: move `offset` to age logins. */
  clock: ReturnType<typeof movableClock>
  /** The network the devices page shows for a client of this setup (the IP as kept). */
  network: string
  close(): Promise<void>
}

/**
 * examples/auth.ts run in process (`app.request`, no client address) and behind a real HTTP
 * server on the loopback (its peer address, kept as its /24 network), for the same scenarios.
 */
export const exampleSetups: {
  name: string
  start(options?: { store?: SessionStore }): Promise<StartedExample>
}[] = [
  {
    name: 'in process',
    start: async (options = {}) => {
      const clock = movableClock()
      const { app, users } = createAuthApp({ ...options, now: clock.now })
      const jar = () => new CookieJar(app)
      return { jar, users, clock, network: 'unknown', close: async () => {} }
    },
  },
  {
    name: 'behind a real HTTP server',
    start: async (options = {}) => {
      const clock = movableClock()
      const { app, users } = createAuthApp({ ...options, now: clock.now })
      const server = await listen(app)
      const jar = () => new HttpCookieJar(server.url)
      return { jar, users, clock, network: '127.0.0.0', close: () => server.close() }
    },
  },
]

/**
 * `store`, whose first `rounds` rounds of `size` `listOwner` calls are each held together: a
 * call waits until `size` have arrived, lists, then waits until all `size` have listed. So every
 * listing of a round sees all that was written before the round's last call arrived, and nothing
 * a call of the round does after it. Later calls pass straight through.
 */
export function listingsInRounds(store: SessionStore, size: number, rounds: number): SessionStore {
  const newRound = () => ({ arrived: 0, listed: 0, allArrived: deferred(), allListed: deferred() })
  let round = newRound()
  let started = 0
  return {
    inProcess: store.inProcess === true,
    create: (record, options) => store.create(record, options),
    load: (key) => store.load(key),
    save: (record, expected) => store.save(record, expected),
    delete: (key) => store.delete(key),
    async listOwner(owner) {
      if (started === rounds) return store.listOwner!(owner)
      const held = round
      if (++held.arrived === size) {
        started++
        round = newRound()
        held.allArrived.resolve()
      }
      await held.allArrived.promise
      const records = await store.listOwner!(owner)
      if (++held.listed === size) held.allListed.resolve()
      await held.allListed.promise
      return records
    },
  }
}

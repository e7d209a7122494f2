import { z } from 'zod'
import { defineSession, recordKeyOf, type MemoryStore } from 'typed-sessions'
import { createAuth } from 'typed-sessions/auth'
import { CookieJar, sessionApp, sessionCookie } from './http.js'
import { idOfCookie } from './stores.js'

/** A session with a login, a visit counter and a note of client text. */
export const floodSession = defineSession(
  z.object({
    user: z.object({ id: z.string() }).optional(),
    visits: z.number().int().default(0),
    note: z.string().optional(),
  })
)

const auth = createAuth({
  definition: floodSession,
  userKey: 'user',
  idOf: (user: { id: string }) => user.id,
  loadUser: (id) => ({ id }),
})

/**
 * The app a flood hits: `GET /visit` counts the visits of the session and answers the count (a
 * cookie-less request creates a session),
 * `POST /note` keeps the request body in it, `POST /login?user=` logs in with `auth.login`
 * (a new id through `cycleId`), `GET /me` answers who is logged in, or `anonymous`.
 */
export function floodApp(store: MemoryStore) {
  const app = sessionApp(floodSession, { store })
  app.get('/visit', async (c) => c.text(String(await c.var.session.update('visits', (n) => n + 1))))
  app.post('/note', async (c) => {
    await c.var.session.set('note', await c.req.text())
    return c.text('ok')
  })
  app.post('/login', async (c) => {
    await auth.login(c.var.session, { id: c.req.query('user') ?? 'nobody' })
    return c.text('logged in')
  })
  app.get('/me', async (c) => c.text((await auth.currentUser(c.var.session))?.id ?? 'anonymous'))
  return app
}

/** The app of `floodApp`. */
export type FloodApp = ReturnType<typeof floodApp>

/** What a flood cost and did. */
export interface FloodResult {
  /** Requests the flood sent (the users' own requests not counted). */
  requests: number
  /** Bytes of request bodies the flood sent. */
  bytes: number
  /** Flood requests sent when the store first lacked a logged-in user's record, if it did. */
  firstEvictionAt: number | undefined
  /** Users whose next request found them logged out, after the flood. */
  loggedOut: number
}

/** Flood shapes of `runFlood`: what each flood session does. */
export type FloodKind =
  | 'cookie-less' // one cookie-less write
  | 'echo' // one cookie-less write, then that cookie sent back once
  | 'large' // one cookie-less write of `noteBytes` of client text, then sent back once
  | 'login' // one cookie-less write, then a login with that cookie (an attacker's own account)

/** Options of `runFlood`. */
export interface FloodOptions {
  kind: FloodKind
  /** Flood sessions to create. */
  sessions: number
  /** Logged-in users, each logged in before the flood. @default 50 */
  users?: number
  /** Whether each user comes back once after logging in, before the flood. @default false */
  returned?: boolean
  /** Client text per session of a `large` flood. @default just under 1 MiB */
  noteBytes?: number
  /** Flood sessions between two looks at the store for an eviction. @default 500 */
  checkEvery?: number
}

/** Flood requests sent concurrently, as a busy server sees them. */
const BATCH = 50
/** Client text that keeps a session's JSON just under the default maxSize (1 MiB). */
export const LARGE_NOTE = 1024 * 1024 - 200

/**
 * Logs `users` in, then runs a flood at them and reports when the store first lost one of
 * their records (looked up by `scan`, which does not count as a use) and how many of them were
 * logged out when they came back afterwards.
 */
export async function runFlood(store: MemoryStore, options: FloodOptions): Promise<FloodResult> {
  const app = floodApp(store)
  const users = await logIn(app, options.users ?? 50)
  if (options.returned === true) for (const user of users) await user.jar.text('/me')
  const note = 'x'.repeat(options.noteBytes ?? LARGE_NOTE)
  const checkEvery = options.checkEvery ?? 500
  const result: FloodResult = { requests: 0, bytes: 0, firstEvictionAt: undefined, loggedOut: 0 }
  let nextCheck = checkEvery
  const batch = Math.min(BATCH, checkEvery)
  for (let created = 0; created < options.sessions; created += batch) {
    const count = Math.min(batch, options.sessions - created)
    const write = (): Response | Promise<Response> =>
      options.kind === 'large'
        ? app.request('/note', { method: 'POST', body: note })
        : app.request('/visit')
    const responses = await Promise.all(Array.from({ length: count }, write))
    for (const response of responses) checkOk(response)
    result.requests += count
    if (options.kind === 'large') result.bytes += count * note.length
    if (options.kind !== 'cookie-less') {
      const path = options.kind === 'login' ? '/login?user=attacker' : '/visit'
      await Promise.all(responses.map((response) => sendBack(app, response, path)))
      result.requests += count
    }
    if (created + count >= nextCheck && result.firstEvictionAt === undefined) {
      nextCheck += checkEvery
      if ((await missingUsers(store, users)) > 0) result.firstEvictionAt = result.requests
    }
  }
  result.loggedOut = await loggedOutUsers(users)
  return result
}

/** What `runLoginDuringFlood` found. */
export interface LoginDuringFloodResult {
  /** Cookie-less requests sent in all. */
  requests: number
  /** The fewest and most flood requests between a user's login and return. */
  gap: { min: number; max: number }
  /** Users whose return found them logged out. */
  loggedOut: number
}

/**
 * Users who log in while cookie-less writes keep arriving, and come back later: user `i`
 * visits and logs in after `i * loginEvery` flood requests, and comes back `minGap` to `maxGap`
 * flood requests after that (spread evenly over the users). At `rate` requests a second, a gap
 * of `g` requests is `g / rate` seconds.
 */
export async function runLoginDuringFlood(
  store: MemoryStore,
  { users = 50, loginEvery = 1_000, minGap = 20_000, maxGap = 50_000 } = {}
): Promise<LoginDuringFloodResult> {
  const app = floodApp(store)
  const logins = Array.from({ length: users }, (_, i) => i * loginEvery)
  const gaps = logins.map((_, i) => minGap + Math.round(((maxGap - minGap) * i) / (users - 1)))
  const returns = logins.map((at, i) => at + gaps[i]!)
  const jars = logins.map(() => new CookieJar(app))
  const end = Math.max(...returns)
  let loggedOut = 0
  for (let sent = 0; sent <= end; sent += BATCH) {
    for (let i = 0; i < users; i++) {
      if (logins[i]! >= sent && logins[i]! < sent + BATCH) await logInOne(jars[i]!, `user-${i}`)
      if (returns[i]! >= sent && returns[i]! < sent + BATCH) {
        if ((await jars[i]!.text('/me')) !== `user-${i}`) loggedOut++
      }
    }
    const responses = await Promise.all(Array.from({ length: BATCH }, () => app.request('/visit')))
    for (const response of responses) checkOk(response)
  }
  return {
    requests: end + BATCH,
    gap: { min: Math.min(...gaps), max: Math.max(...gaps) },
    loggedOut,
  }
}

/** A logged-in user: their cookie jar and the name they logged in with. */
interface User {
  jar: CookieJar
  name: string
}

async function logIn(app: FloodApp, count: number): Promise<User[]> {
  const users: User[] = []
  for (let i = 0; i < count; i++) {
    const user = { jar: new CookieJar(app), name: `user-${i}` }
    await logInOne(user.jar, user.name)
    users.push(user)
  }
  return users
}

/** A visit (an anonymous session, as a login page makes), then the login. */
async function logInOne(jar: CookieJar, name: string): Promise<void> {
  await jar.fetch('/visit')
  const response = await jar.fetch(`/login?user=${name}`, { method: 'POST' })
  if (response.status !== 200) throw new Error(`login of ${name} answered ${response.status}`)
}

/** Sends the session cookie `response` set back once, to `path` (a route that writes it). */
async function sendBack(app: FloodApp, response: Response, path: string): Promise<void> {
  const cookie = sessionCookie(response)
  if (cookie === undefined) throw new Error('a flood request got no session cookie')
  const method = path.startsWith('/login') ? 'POST' : 'GET'
  checkOk(await app.request(path, { method, headers: { Cookie: `id=${cookie.value}` } }))
}

/** Fails the flood on a request that did not succeed: a flood that fails proves nothing. */
function checkOk(response: Response): void {
  if (response.status !== 200) throw new Error(`a flood request answered ${response.status}`)
}

/** How many users' records the store no longer holds, found without touching them. */
async function missingUsers(store: MemoryStore, users: User[]): Promise<number> {
  const live = new Set<string>()
  for await (const record of store.scan()) live.add(record.key)
  return users.filter((user) => !live.has(recordKeyOf(idOfCookie(user.jar.cookies.get('id')!))))
    .length
}

async function loggedOutUsers(users: User[]): Promise<number> {
  let loggedOut = 0
  for (const user of users) if ((await user.jar.text('/me')) !== user.name) loggedOut++
  return loggedOut
}

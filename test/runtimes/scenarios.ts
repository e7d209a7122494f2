import { Hono } from 'hono'
import { z } from 'zod'
import type * as Core from 'typed-sessions'
import type * as FetchEntry from 'typed-sessions/fetch'
import type * as HonoEntry from 'typed-sessions/hono'
import { FetchJar } from '../helpers/fetch-jar.js'
import { runReported, type ScenarioReport } from './report.js'

// The lifecycle scenarios a user relies on, written once against the BUILT package (dist/) and
// run on Node, Bun, Deno and workerd (README, "Runtimes"). No test framework in here: each
// runtime's runner passes in the package it imported and reports the results its own way.

/** The built package as a runner imported it: `dist/index.js`, `dist/hono/index.js`, `dist/fetch/index.js`. */
export interface BuiltPackage {
  core: typeof Core
  hono: typeof HonoEntry
  fetch: typeof FetchEntry
}

/** One scenario: a name that reads as a sentence, and a body that throws on failure. */
export interface Scenario {
  name: string
  run(
    pkg: BuiltPackage,
    makeStore: () => Core.SessionStore | Promise<Core.SessionStore>
  ): Promise<void>
}

export type { ScenarioReport } from './report.js'

const SECRET = 'runtime scenarios: a secret of at least thirty-two characters'
const OLD_SECRET = 'runtime scenarios: the previous secret, also long enough'

/** Throws with `message` unless `actual` equals `expected` (compared as JSON). */
export function check(actual: unknown, expected: unknown, message: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${message}: expected ${e}, got ${a}`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The counter app of the README on `store`, with login and logout. */
function counterApp(
  { core, hono }: BuiltPackage,
  store: Core.SessionStore,
  options: {
    secret?: string | string[]
    expiry?: Core.Expiry
    absoluteTimeout?: number
    cookieName?: string
  } = {}
) {
  const session = core.defineSession(
    z.object({
      counter: z.number().int().default(0),
      user: z.string().optional(),
      note: z.string().optional(),
    })
  )
  const app = new Hono<HonoEntry.SessionEnv<typeof session>>()
  app.use(
    hono.sessionMiddleware(session, {
      secret: options.secret ?? SECRET,
      store,
      cookie: { secure: false, name: options.cookieName ?? 'id' },
      ...(options.expiry === undefined ? {} : { expiry: options.expiry }),
      ...(options.absoluteTimeout === undefined
        ? {}
        : { absoluteTimeout: options.absoluteTimeout }),
    })
  )
  app.get('/', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(String(n))
  })
  app.get('/peek', async (c) => {
    const user = (await c.var.session.get('user')) ?? '-'
    return c.text(`${await c.var.session.get('counter')} ${user}`)
  })
  app.post('/login', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('user', 'ada')
    return c.text('in')
  })
  app.post('/logout', async (c) => {
    await c.var.session.flush()
    return c.text('out')
  })
  app.post('/note', async (c) => {
    await c.var.session.set('note', await c.req.text())
    return c.text('noted')
  })
  app.onError((error, c) => c.text(core.isSessionError(error) ? error.code : String(error), 500))
  app.post('/bad', async (c) => {
    try {
      await c.var.session.set('counter', 'not a number' as never)
      return c.text('accepted')
    } catch (error) {
      return c.text(core.isSessionError(error) ? error.code : 'other error', 400)
    }
  })
  return app
}

export const scenarios: Scenario[] = [
  {
    name: 'a counter counts per visitor',
    async run(pkg, makeStore) {
      const app = counterApp(pkg, await makeStore())
      const alice = new FetchJar(app)
      const bob = new FetchJar(app)
      const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
      check([...counts, await alice.text('/')], ['0', '1', '0', '2'], 'counts')
    },
  },
  {
    name: 'login cycles the id and keeps the data; the old cookie no longer works',
    async run(pkg, makeStore) {
      const app = counterApp(pkg, await makeStore())
      const jar = new FetchJar(app)
      await jar.text('/')
      const before = jar.cookies.get('id')
      await jar.text('/login', { method: 'POST' })
      const after = jar.cookies.get('id')
      check(after !== undefined && after !== before, true, 'a new cookie after login')
      check(await jar.text('/peek'), '1 ada', 'data kept across the new id')
      const stale = new FetchJar(app)
      stale.cookies.set('id', before ?? '')
      check(await stale.text('/peek'), '0 -', 'the old id is gone')
    },
  },
  {
    name: 'logout flushes the record and removes the cookie',
    async run(pkg, makeStore) {
      const app = counterApp(pkg, await makeStore())
      const jar = new FetchJar(app)
      await jar.text('/')
      const cookie = jar.cookies.get('id') ?? ''
      const response = await jar.fetch('/logout', { method: 'POST' })
      check(/Max-Age=0/.test(response.headers.get('set-cookie') ?? ''), true, 'a removal cookie')
      check(jar.cookies.has('id'), false, 'the jar dropped the cookie')
      const replay = new FetchJar(app)
      replay.cookies.set('id', cookie)
      check(await replay.text('/peek'), '0 -', 'the flushed session is gone')
    },
  },
  {
    name: 'a tampered cookie is no session, never an error',
    async run(pkg, makeStore) {
      const app = counterApp(pkg, await makeStore())
      const jar = new FetchJar(app)
      await jar.text('/')
      await jar.text('/')
      const value = jar.cookies.get('id') ?? ''
      const flipped = value.slice(0, 5) + (value[5] === 'A' ? 'B' : 'A') + value.slice(6)
      jar.cookies.set('id', flipped)
      const response = await jar.fetch('/peek')
      check([response.status, await response.text()], [200, '0 -'], 'a tampered cookie')
    },
  },
  {
    name: 'a cookie signed with the previous secret is accepted and re-issued with the current one',
    async run(pkg, makeStore) {
      const store = await makeStore()
      const jar = new FetchJar(counterApp(pkg, store, { secret: OLD_SECRET }))
      await jar.text('/')
      const oldCookie = jar.cookies.get('id')
      const rotated = new FetchJar(counterApp(pkg, store, { secret: [SECRET, OLD_SECRET] }))
      rotated.cookies.set('id', oldCookie ?? '')
      const response = await rotated.fetch('/peek')
      check(await response.text(), '1 -', 'the session read under the old key')
      const reissued = rotated.cookies.get('id')
      check(reissued !== undefined && reissued !== oldCookie, true, 're-issued with the new key')
      const currentOnly = new FetchJar(counterApp(pkg, store, { secret: SECRET }))
      currentOnly.cookies.set('id', reissued ?? '')
      check(
        await currentOnly.text('/peek'),
        '1 -',
        'the re-issued cookie verifies with the new key'
      )
    },
  },
  {
    name: 'an inactive session expires',
    async run(pkg, makeStore) {
      const app = counterApp(pkg, await makeStore(), { expiry: pkg.core.Expiry.onInactivity(1) })
      const jar = new FetchJar(app)
      check([await jar.text('/'), await jar.text('/')], ['0', '1'], 'counts before expiry')
      await sleep(1100)
      check(await jar.text('/peek'), '0 -', 'after one second of inactivity')
    },
  },
  {
    name: 'a value that fails its schema is refused with INVALID_VALUE',
    async run(pkg, makeStore) {
      const app = counterApp(pkg, await makeStore())
      const jar = new FetchJar(app)
      const response = await jar.fetch('/bad', { method: 'POST' })
      check([response.status, await response.text()], [400, 'INVALID_VALUE'], 'a typed error')
    },
  },
  {
    name: 'a session written under an older schema is migrated on load',
    async run({ core, hono }, makeStore) {
      const store = await makeStore()
      const v1 = core.defineSession(z.object({ count: z.number() }))
      const v2 = core.defineSession(
        core
          .versioned(z.object({ count: z.number() }))
          .migrate(z.object({ counter: z.number() }), (old) => ({ counter: old.count }))
      )
      const oldApp = new Hono<HonoEntry.SessionEnv<typeof v1>>()
      oldApp.use(hono.sessionMiddleware(v1, { secret: SECRET, store, cookie: { secure: false } }))
      oldApp.get('/', async (c) => {
        await c.var.session.set('count', 41)
        return c.text('set')
      })
      const newApp = new Hono<HonoEntry.SessionEnv<typeof v2>>()
      newApp.use(hono.sessionMiddleware(v2, { secret: SECRET, store, cookie: { secure: false } }))
      newApp.get('/', async (c) => c.text(String(await c.var.session.get('counter'))))
      const jar = new FetchJar(oldApp)
      await jar.text('/')
      const upgraded = new FetchJar(newApp)
      upgraded.cookies.set('id', jar.cookies.get('id') ?? '')
      check(await upgraded.text('/'), '41', 'the v1 count read as the v2 counter')
      const id = upgraded.cookies.get('id')?.split('.')[0] ?? ''
      const record = await store.load(core.recordKeyOf(id))
      check([record?.schemaVersion, record?.data], [2, { counter: 41 }], 'saved back as v2')
    },
  },
]

/**
 * The scenarios of sessions kept in the cookie (`store: new CookieStore()`): `makeStore` makes a
 * CookieStore. Some differ from the server-store ones on purpose: a replayed old cookie still
 * opens (nothing on the server can revoke it), and the data travels encrypted.
 */
export const cookieScenarios: Scenario[] = [
  {
    name: 'a counter counts per visitor, with nothing kept on the server',
    async run(pkg, makeStore) {
      const app = counterApp(pkg, await makeStore())
      const alice = new FetchJar(app)
      const bob = new FetchJar(app)
      const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
      check([...counts, await alice.text('/')], ['0', '1', '0', '2'], 'counts')
      const elsewhere = new FetchJar(counterApp(pkg, await makeStore()))
      elsewhere.cookies.set('id', alice.cookies.get('id') ?? '')
      check(await elsewhere.text('/peek'), '3 -', 'another app with the secret reads the cookie')
    },
  },
  {
    name: 'login cycles the id inside the sealed cookie and keeps the data',
    async run(pkg, makeStore) {
      const jar = new FetchJar(counterApp(pkg, await makeStore()))
      await jar.text('/')
      const before = jar.cookies.get('id')
      await jar.text('/login', { method: 'POST' })
      const after = jar.cookies.get('id')
      check(after !== undefined && after !== before, true, 'a new cookie after login')
      check(after?.includes('ada'), false, 'the data is encrypted')
      check(await jar.text('/peek'), '1 ada', 'data kept across the new id')
    },
  },
  {
    name: 'logout removes the sealed cookie',
    async run(pkg, makeStore) {
      const jar = new FetchJar(counterApp(pkg, await makeStore()))
      await jar.text('/login', { method: 'POST' })
      const response = await jar.fetch('/logout', { method: 'POST' })
      check(/Max-Age=0/.test(response.headers.get('set-cookie') ?? ''), true, 'a removal cookie')
      check(jar.cookies.has('id'), false, 'the jar dropped the cookie')
      check(await jar.text('/peek'), '0 -', 'no session after logout')
    },
  },
  {
    name: 'a tampered, truncated, foreign-key or foreign-name sealed cookie is no session',
    async run(pkg, makeStore) {
      const sealedBy = async (options: Parameters<typeof counterApp>[2], name = 'id') => {
        const jar = new FetchJar(counterApp(pkg, await makeStore(), options))
        await jar.text('/login', { method: 'POST' })
        return jar.cookies.get(name) ?? ''
      }
      const value = await sealedBy({})
      const flipped = value.slice(0, 30) + (value[30] === 'A' ? 'B' : 'A') + value.slice(31)
      const forged = [
        flipped,
        value.slice(0, -2),
        await sealedBy({ secret: OLD_SECRET }),
        await sealedBy({ cookieName: 'other' }, 'other'),
      ]
      const app = counterApp(pkg, await makeStore())
      const seen = []
      for (const cookie of forged) {
        const jar = new FetchJar(app)
        jar.cookies.set('id', cookie)
        const response = await jar.fetch('/peek')
        seen.push(`${response.status} ${await response.text()}`)
      }
      check(seen, ['200 0 -', '200 0 -', '200 0 -', '200 0 -'], 'each forged cookie')
      const genuine = new FetchJar(app)
      genuine.cookies.set('id', value)
      check(await genuine.text('/peek'), '0 ada', 'the genuine cookie')
    },
  },
  {
    name: 'a cookie sealed with the previous secret is read and re-sealed with the current one',
    async run(pkg, makeStore) {
      const jar = new FetchJar(counterApp(pkg, await makeStore(), { secret: OLD_SECRET }))
      await jar.text('/')
      const oldCookie = jar.cookies.get('id')
      const rotated = new FetchJar(
        counterApp(pkg, await makeStore(), { secret: [SECRET, OLD_SECRET] })
      )
      rotated.cookies.set('id', oldCookie ?? '')
      check(await rotated.text('/peek'), '1 -', 'the session read under the old key')
      const resealed = rotated.cookies.get('id')
      check(resealed !== undefined && resealed !== oldCookie, true, 're-sealed with the new key')
      const currentOnly = new FetchJar(counterApp(pkg, await makeStore(), { secret: SECRET }))
      currentOnly.cookies.set('id', resealed ?? '')
      check(await currentOnly.text('/peek'), '1 -', 'the re-sealed cookie opens with the new key')
    },
  },
  {
    name: 'a sealed cookie replayed after it expired is no session',
    async run(pkg, makeStore) {
      const expiry = pkg.core.Expiry.onInactivity(1)
      const app = counterApp(pkg, await makeStore(), { expiry })
      const jar = new FetchJar(app)
      check([await jar.text('/'), await jar.text('/')], ['0', '1'], 'counts before expiry')
      const kept = jar.cookies.get('id') ?? ''
      await sleep(1100)
      const replay = new FetchJar(app)
      replay.cookies.set('id', kept)
      check(await replay.text('/peek'), '0 -', 'after one second of inactivity')
    },
  },
  {
    name: 'the absolute timeout ends an active session by the server clock',
    async run(pkg, makeStore) {
      const expiry = pkg.core.Expiry.onInactivity(60)
      const app = counterApp(pkg, await makeStore(), { expiry, absoluteTimeout: 1 })
      const jar = new FetchJar(app)
      check(await jar.text('/'), '0', 'the first visit')
      await sleep(500)
      check(await jar.text('/'), '1', 'active half a second later')
      await sleep(600)
      check(await jar.text('/peek'), '0 -', 'ended one second after creation')
    },
  },
  {
    name: 'a session too large for a cookie is refused with COOKIE_TOO_LARGE, and no cookie is set',
    async run(pkg, makeStore) {
      const jar = new FetchJar(counterApp(pkg, await makeStore()))
      await jar.text('/')
      const before = jar.cookies.get('id')
      const response = await jar.fetch('/note', { method: 'POST', body: 'n'.repeat(5000) })
      check([response.status, await response.text()], [500, 'COOKIE_TOO_LARGE'], 'refused')
      check(response.headers.getSetCookie(), [], 'no Set-Cookie')
      check(jar.cookies.get('id') === before, true, 'the previous cookie kept')
      check(await jar.text('/peek'), '1 -', 'the previous session intact')
      const fits = await jar.fetch('/note', { method: 'POST', body: 'n'.repeat(1000) })
      check(fits.status, 200, 'a note that fits')
    },
  },
]

/**
 * Runs every scenario against `pkg` with stores from each factory of `stores` (named), then the
 * cookie scenarios on a CookieStore, printing
 * one line per scenario and a closing `N passed, N failed` line through `log`.
 */
export async function runScenarios(
  runtime: string,
  pkg: BuiltPackage,
  stores: Record<string, () => Core.SessionStore | Promise<Core.SessionStore>>,
  log: (line: string) => void = console.log
): Promise<ScenarioReport> {
  const report: ScenarioReport = { passed: 0, failed: 0, failures: [] }
  type Run = [string, () => Core.SessionStore | Promise<Core.SessionStore>, Scenario[]]
  const runs = Object.entries(stores).map(([name, make]): Run => [name, make, scenarios])
  runs.push(['CookieStore', () => new pkg.core.CookieStore(), cookieScenarios])
  for (const [storeName, makeStore, list] of runs) {
    for (const scenario of list) {
      const title = `${runtime} · ${storeName} · ${scenario.name}`
      await runReported(title, () => scenario.run(pkg, makeStore), report, log)
    }
  }
  log(`${runtime}: ${report.passed} passed, ${report.failed} failed`)
  return report
}

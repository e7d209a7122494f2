import type { RequestListener } from 'node:http'
import type { StoreCalls } from './counting-store.js'

/** What a child process serves: Hono's `fetch`, or a plain `node:http` listener. */
export interface FetchApp {
  fetch?: (request: Request) => Response | Promise<Response>
  listener?: RequestListener
  /** The store calls made so far, for a variant whose store is wrapped in a `CountingStore`. */
  storeCalls?: () => StoreCalls
  /** Removes what the variant left outside the process (a table, keys, a file); run at exit. */
  cleanUp?: () => Promise<void>
}

/**
 * Who sends the load: `anonymous` (no cookie, no session: the baselines), `new` (no cookie, so
 * every request creates a session) or `returning` (each connection replays its own session).
 */
export type Visitor = 'anonymous' | 'new' | 'returning'

/** Store calls per returning-visitor request that a variant must not exceed. */
export interface CallTarget {
  load: number
  save: number
}

/** A benchmarked server: one short app, measured once per visitor kind it lists. */
export interface Variant {
  name: string
  /** One line for the table and the chart. */
  label: string
  /** `peer`: another library; if it cannot run, the report says n/a and the run goes on. */
  group: 'baseline' | 'ours' | 'peer'
  visitors: readonly Visitor[]
  /** The route the load requests (`/prime` creates a returning visitor's session on ours). */
  path: string
  /** The route counts (a session value goes up per request); else it answers count 0. */
  counter: boolean
  /** The session lives on the server, so replaying one cookie increments the same count. */
  stateful: boolean
  /** Efficiency vs bare that this variant must reach, per visitor. */
  targets?: Partial<Record<Visitor, number>>
  /** Store calls (= round trips) per returning request that this variant must not exceed. */
  callTarget?: CallTarget
  /** The server the variant's store needs; unreachable, the variant is n/a, not a failure. */
  service?: string
  /** The checkout whose bench/server.ts serves it (`--previous`); this one when absent. */
  tree?: string
  /** Builds the app; runs in the child process only, so each library loads on its own. */
  build: () => FetchApp | Promise<FetchApp>
}

/** One measurement: a variant under one kind of visitor. */
export interface BenchCase {
  variant: Variant
  visitor: Visitor
}

/** At least 32 characters: our cookie signer, hono-sessions' iron and @hono/session's HKDF. */
const SECRET = 'bench-only secret, at least 32 characters long'
const BOTH = ['new', 'returning'] as const
const ANONYMOUS = ['anonymous'] as const
const ONE_READ_ONE_WRITE: CallTarget = { load: 1, save: 1 }

const baselines = () => import('./apps/baselines.js')
const ours = () => import('./apps/ours.js')
const honoSessions = () => import('./apps/hono-sessions.js')

function baseline(name: string, label: string, build: Variant['build']): Variant {
  const flags = { counter: false, stateful: false, path: '/' }
  return { name, label, group: 'baseline', visitors: ANONYMOUS, ...flags, build }
}

function storeVariant(kind: 'sqlite' | 'redis' | 'postgres' | 'mysql', label: string): Variant {
  const service = { sqlite: undefined, redis: 'Redis', postgres: 'PostgreSQL', mysql: 'MySQL' }
  return {
    name: `ours-${kind}`,
    label: `typed-sessions counter, ${label}`,
    group: 'ours',
    visitors: BOTH,
    path: '/',
    counter: true,
    stateful: true,
    callTarget: ONE_READ_ONE_WRITE,
    ...(service[kind] && { service: service[kind] }),
    build: async () => (await ours()).buildStoreApp(SECRET, kind),
  }
}

function peer(name: string, label: string, stateful: boolean, build: Variant['build']): Variant {
  return { name, label, group: 'peer', visitors: BOTH, path: '/', counter: true, stateful, build }
}

export const variants: readonly Variant[] = [
  baseline('bare', 'bare Hono, no middleware', async () => ({
    fetch: (await baselines()).buildBareApp().fetch,
  })),
  baseline('node-http', 'plain node:http server (cross-check of bare)', async () => ({
    listener: (await baselines()).plainNodeListener,
  })),
  baseline('plain-cookie', 'Hono setting one plain cookie (the floor)', async () => ({
    fetch: (await baselines()).buildPlainCookieApp().fetch,
  })),
  baseline('empty-middleware', 'Hono + one empty async middleware', async () => ({
    fetch: (await baselines()).buildEmptyMiddlewareApp().fetch,
  })),
  {
    name: 'ours',
    label: 'typed-sessions counter, MemoryStore full (at maxSessions)',
    group: 'ours',
    visitors: BOTH,
    path: '/',
    counter: true,
    stateful: true,
    targets: { new: 0.5, returning: 0.6 },
    callTarget: ONE_READ_ONE_WRITE,
    build: async () => (await ours()).buildFullMemoryApp(SECRET),
  },
  {
    name: 'ours-events',
    label: 'typed-sessions counter, MemoryStore full, all 9 event handlers set',
    group: 'ours',
    visitors: BOTH,
    path: '/',
    counter: true,
    stateful: true,
    callTarget: ONE_READ_ONE_WRITE,
    build: async () => {
      const { buildFullMemoryApp, countingHandlers } = await ours()
      return buildFullMemoryApp(SECRET, countingHandlers().on)
    },
  },
  {
    name: 'ours-roomy',
    label: 'typed-sessions counter, MemoryStore with room (no eviction)',
    group: 'ours',
    visitors: ['new'],
    path: '/',
    counter: true,
    stateful: true,
    targets: { new: 0.5 },
    build: async () => (await ours()).buildRoomyMemoryApp(SECRET),
  },
  {
    name: 'ours-read',
    label: 'typed-sessions, route that only reads the session',
    group: 'ours',
    visitors: ['returning'],
    path: '/read',
    counter: false,
    stateful: true,
    targets: { returning: 0.7 },
    build: async () => (await ours()).buildRoomyMemoryApp(SECRET),
  },
  {
    name: 'ours-read-rolling',
    label: 'typed-sessions, route that only reads a rolling session (touchAfter: 60)',
    group: 'ours',
    visitors: ['returning'],
    path: '/read',
    counter: false,
    stateful: true,
    build: async () => (await ours()).buildRollingMemoryApp(SECRET),
  },
  {
    name: 'ours-cookie',
    label: 'typed-sessions counter, CookieStore (sealed in the cookie)',
    group: 'ours',
    visitors: BOTH,
    path: '/',
    counter: true,
    stateful: false,
    build: async () => (await ours()).buildCookieStoreApp(SECRET),
  },
  {
    name: 'ours-untouched',
    label: 'typed-sessions, route that never touches the session',
    group: 'ours',
    visitors: ['returning'],
    path: '/untouched',
    counter: false,
    stateful: true,
    targets: { returning: 0.9 },
    build: async () => (await ours()).buildRoomyMemoryApp(SECRET),
  },
  storeVariant('sqlite', 'SqliteStore (better-sqlite3, WAL file)'),
  storeVariant('redis', 'RedisStore (ioredis)'),
  storeVariant('postgres', 'PostgresStore (pg.Pool)'),
  storeVariant('mysql', 'MySqlStore (mysql2 pool, MariaDB)'),
  peer('hono-sessions-plain', 'hono-sessions, MemoryStore, raw id (fastest)', true, async () =>
    (await honoSessions()).buildHonoSessionsApp('memory', undefined)
  ),
  peer('hono-sessions', 'hono-sessions, MemoryStore, encrypted id', true, async () =>
    (await honoSessions()).buildHonoSessionsApp('memory', SECRET)
  ),
  peer('hono-sessions-cookie', 'hono-sessions, CookieStore (iron)', false, async () =>
    (await honoSessions()).buildHonoSessionsApp('cookie', SECRET)
  ),
  peer('@hono/session', '@hono/session (jose JWE cookie)', false, async () =>
    (await import('./apps/hono-session.js')).buildHonoSessionApp(SECRET)
  ),
]

/** The variant called `name`, or a message listing the known names. */
export function findVariant(name: string): Variant {
  const variant = variants.find((v) => v.name === name)
  if (variant === undefined) {
    throw new Error(`Unknown variant "${name}"; known: ${variants.map((v) => v.name).join(', ')}.`)
  }
  return variant
}

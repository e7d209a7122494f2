import type { StoreCalls } from './counting-store.js'

/** What a child process serves: anything with Hono's `fetch`. */
export interface FetchApp {
  fetch: (request: Request) => Response | Promise<Response>
  /** The store calls made so far, for a variant whose store is wrapped in a `CountingStore`. */
  storeCalls?: () => StoreCalls
  /** Removes what the variant left outside the process (a table, keys, a file); run at exit. */
  cleanUp?: () => Promise<void>
}

/** Store calls per returning-visitor request that a variant must not exceed. */
export interface CallTarget {
  load: number
  save: number
}

/** What a benchmarked server variant is, and how the runner checks and loads it. */
export interface Variant {
  name: string
  /** One line for the report. */
  description: string
  /** `returning`: requests carry a cookie from a priming request; `none`: no cookie. */
  visitor: 'returning' | 'none'
  /** The session lives on the server, so replaying one cookie increments the same count. */
  stateful: boolean
  /** The route touches the session (a counter) rather than returning a constant body. */
  counter: boolean
  /** A peer library's variant: if it cannot run, the report says n/a and the run goes on. */
  peer: boolean
  /** Efficiency vs bare that this variant must reach, if it is one of ours with a target. */
  target?: number
  /** Store calls (= round trips) per request that this variant must not exceed. */
  callTarget?: CallTarget
  /**
   * The server the variant's store needs (e.g. `PostgreSQL`). When it cannot be reached, the
   * report says n/a and the run goes on, as for a peer; any other failure is fatal.
   */
  service?: string
  /** Builds the app; runs in the child process only, so each library loads on its own. */
  build: () => Promise<FetchApp>
}

/** At least 32 characters: our cookie signer, hono-sessions' iron and @hono/session's HKDF. */
const SECRET = 'bench-only secret, at least 32 characters long'

/** One read and one write per returning-visitor request, the compare-and-set included. */
const ONE_READ_ONE_WRITE: CallTarget = { load: 1, save: 1 }

export const variants: readonly Variant[] = [
  {
    name: 'bare',
    description: 'Hono, no middleware, constant body',
    visitor: 'none',
    peer: false,
    stateful: false,
    counter: false,
    build: async () => (await import('./apps/bare.js')).buildBareApp(),
  },
  {
    name: 'hono-empty-middleware',
    description:
      'Hono + one empty async middleware (`await next()`): the floor for any middleware, for reference',
    visitor: 'none',
    peer: false,
    stateful: false,
    counter: false,
    build: async () => (await import('./apps/bare.js')).buildEmptyMiddlewareApp(),
  },
  {
    name: 'ours-returning',
    description: 'typed-sessions counter, MemoryStore, returning visitor',
    visitor: 'returning',
    peer: false,
    stateful: true,
    counter: true,
    target: 0.6,
    callTarget: ONE_READ_ONE_WRITE,
    build: async () => (await import('./apps/ours.js')).buildCounterApp(SECRET),
  },
  {
    name: 'ours-returning-sqlite',
    description:
      'typed-sessions counter, SqliteStore (better-sqlite3, temp file, WAL, synchronous at its default FULL), returning visitor',
    visitor: 'returning',
    peer: false,
    stateful: true,
    counter: true,
    callTarget: ONE_READ_ONE_WRITE,
    build: async () => (await import('./apps/ours.js')).buildStoreCounterApp(SECRET, 'sqlite'),
  },
  {
    name: 'ours-returning-redis',
    description:
      'typed-sessions counter, RedisStore (ioredis, one connection; REDIS_URL or 127.0.0.1:6379), returning visitor',
    visitor: 'returning',
    peer: false,
    stateful: true,
    counter: true,
    callTarget: ONE_READ_ONE_WRITE,
    service: 'Redis',
    build: async () => (await import('./apps/ours.js')).buildStoreCounterApp(SECRET, 'redis'),
  },
  {
    name: 'ours-returning-postgres',
    description:
      'typed-sessions counter, PostgresStore (pg.Pool, 10 connections; DATABASE_URL or 127.0.0.1:5432/test), returning visitor',
    visitor: 'returning',
    peer: false,
    stateful: true,
    counter: true,
    callTarget: ONE_READ_ONE_WRITE,
    service: 'PostgreSQL',
    build: async () => (await import('./apps/ours.js')).buildStoreCounterApp(SECRET, 'postgres'),
  },
  {
    name: 'ours-returning-mysql',
    description:
      'typed-sessions counter, MySqlStore (mysql2/promise pool, 10 connections; MYSQL_URL or 127.0.0.1:3306/test), returning visitor',
    visitor: 'returning',
    peer: false,
    stateful: true,
    counter: true,
    callTarget: ONE_READ_ONE_WRITE,
    service: 'MySQL/MariaDB',
    build: async () => (await import('./apps/ours.js')).buildStoreCounterApp(SECRET, 'mysql'),
  },
  {
    name: 'ours-read',
    description:
      'typed-sessions middleware, returning visitor whose request only reads the session (no save, no Set-Cookie)',
    visitor: 'returning',
    peer: false,
    stateful: true,
    counter: false,
    build: async () => (await import('./apps/ours.js')).buildReadOnlyApp(SECRET),
  },
  {
    name: 'ours-untouched',
    description: 'typed-sessions middleware, route never touches the session, valid cookie',
    visitor: 'returning',
    peer: false,
    stateful: true,
    counter: false,
    target: 0.95,
    build: async () => (await import('./apps/ours.js')).buildUntouchedApp(SECRET),
  },
  {
    name: 'ours-new',
    description:
      'typed-sessions counter, no cookie: a new session per request (store evicts at 10,000)',
    visitor: 'none',
    peer: false,
    stateful: true,
    counter: true,
    build: async () => (await import('./apps/ours.js')).buildCounterApp(SECRET),
  },
  {
    name: 'hono-sessions-cookie',
    description: 'hono-sessions counter, CookieStore (iron-encrypted data in the cookie)',
    visitor: 'returning',
    peer: true,
    stateful: false,
    counter: true,
    build: async () =>
      (await import('./apps/hono-sessions.js')).buildHonoSessionsApp('cookie', SECRET),
  },
  {
    name: 'hono-sessions-memory',
    description: 'hono-sessions counter, MemoryStore, session id iron-encrypted in the cookie',
    visitor: 'returning',
    peer: true,
    stateful: true,
    counter: true,
    build: async () =>
      (await import('./apps/hono-sessions.js')).buildHonoSessionsApp('memory', SECRET),
  },
  {
    name: 'hono-sessions-memory-plain',
    description:
      'hono-sessions counter, MemoryStore, no encryptionKey (raw UUID cookie): its fastest mode',
    visitor: 'returning',
    peer: true,
    stateful: true,
    counter: true,
    build: async () =>
      (await import('./apps/hono-sessions.js')).buildHonoSessionsApp('memory', undefined),
  },
  {
    name: '@hono/session',
    description: '@hono/session counter (jose JWE: data encrypted in the cookie)',
    visitor: 'returning',
    peer: true,
    stateful: false,
    counter: true,
    build: async () => (await import('./apps/hono-session.js')).buildHonoSessionApp(SECRET),
  },
]

/** The variant called `name`, or a message listing the known names. */
export function findVariant(name: string): Variant {
  const variant = variants.find((v) => v.name === name)
  if (variant === undefined) {
    throw new Error(`Unknown variant "${name}"; known: ${variants.map((v) => v.name).join(', ')}.`)
  }
  return variant
}

/**
 * The concurrency benchmark (issue 7): N requests at once on ONE session, each
 * `update('counter', (n) => n + 1)`, on each store, through a real HTTP server in this process.
 * Reports requests that succeeded, the final count against N, retries per request (saves beyond
 * one per request, counted by a `CountingStore`) and the time per request.
 */
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { isSessionError, MemoryStore, type SessionStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../schemas/counter.js'
import { CountingStore } from './counting-store.js'
import { openStore, ServiceUnavailable, type StoreKind } from './apps/stores.js'

/** How the concurrency benchmark runs. */
export interface ConcurrencySettings {
  /** Concurrent requests per burst. */
  sizes: readonly number[]
  /** Bursts per store and size, each on a fresh session. */
  bursts: number
}

/** One store and burst size, summed over its bursts. */
export interface ConcurrencyOutcome {
  store: string
  concurrent: number
  bursts: number
  /** Requests answered 200, over all bursts. */
  succeeded: number
  /** Final counter values summed over bursts (expected: `concurrent × bursts`). */
  finalCount: number
  /** `save` calls beyond one per successful request, per request (0 when saves were coalesced). */
  retriesPerRequest: number
  /** Store `save` calls per request: below 1 when the in-process lane merged saves. */
  savesPerRequest: number
  /** Mean latency of one request of a burst, and the mean wall time of a burst. */
  msPerRequest: number
  msPerBurst: number
  /** Error codes of the failed requests, with their counts. */
  errors: Record<string, number>
  /** Why the store could not be benchmarked (its server is down): n/a, not a failure. */
  unavailable?: string
  /** Set when a request failed or an update was lost: a failure of the run. */
  failed?: string
}

const SECRET = 'bench-only secret, at least 32 characters long'
const STORES: readonly (StoreKind | 'memory')[] = ['memory', 'sqlite', 'redis', 'postgres', 'mysql']

type CounterEnv = SessionEnv<typeof counterSession>

function counterApp(store: SessionStore): Hono<CounterEnv> {
  const app = new Hono<CounterEnv>()
  app.use(sessionMiddleware(counterSession, { secret: SECRET, store, cookie: { secure: false } }))
  app.get('/', async (c) => c.text(String(await c.var.session.get('counter'))))
  app.post('/', async (c) =>
    c.text(String(await c.var.session.update('counter', (n: number) => n + 1)))
  )
  app.onError((error, c) => c.text(isSessionError(error) ? error.code : 'ERROR', 500))
  return app
}

function listen(app: Hono<CounterEnv>): Promise<{ server: ServerType; origin: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ server, origin: `http://127.0.0.1:${info.port}` })
    )
  })
}

async function burst(
  origin: string,
  concurrent: number,
  outcome: ConcurrencyOutcome,
  store: CountingStore
) {
  // A fresh session: its first update creates it (counter 1), then `concurrent` updates race.
  const first = await fetch(origin, { method: 'POST' })
  const cookie = first.headers.getSetCookie()[0]?.split(';')[0]
  if (first.status !== 200 || cookie === undefined) {
    throw new Error(`the priming request answered ${first.status} without a session cookie`)
  }
  await first.text()
  const savesBefore = store.calls.save
  const started = performance.now()
  const replies = await Promise.all(
    Array.from({ length: concurrent }, async () => {
      const sent = performance.now()
      const response = await fetch(origin, { method: 'POST', headers: { cookie } })
      const body = await response.text()
      return { status: response.status, body, ms: performance.now() - sent }
    })
  )
  outcome.msPerBurst += performance.now() - started
  const ok = replies.filter((r) => r.status === 200).length
  outcome.succeeded += ok
  const saves = store.calls.save - savesBefore
  outcome.savesPerRequest += saves
  outcome.retriesPerRequest += Math.max(0, saves - ok)
  outcome.msPerRequest += replies.reduce((sum, r) => sum + r.ms, 0)
  for (const r of replies.filter((reply) => reply.status !== 200)) {
    outcome.errors[r.body] = (outcome.errors[r.body] ?? 0) + 1
  }
  const final = await fetch(origin, { headers: { cookie } })
  outcome.finalCount += Number(await final.text()) - 1
}

async function runStore(kind: StoreKind | 'memory', settings: ConcurrencySettings) {
  const outcomes: ConcurrencyOutcome[] = []
  const blank = (concurrent: number): ConcurrencyOutcome => ({
    store: kind,
    concurrent,
    bursts: settings.bursts,
    succeeded: 0,
    finalCount: 0,
    retriesPerRequest: 0,
    savesPerRequest: 0,
    msPerRequest: 0,
    msPerBurst: 0,
    errors: {},
  })
  let opened
  try {
    opened =
      kind === 'memory'
        ? { store: new MemoryStore(), cleanUp: async () => {} }
        : await openStore(kind)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    const down = error instanceof ServiceUnavailable
    return settings.sizes.map((n) => ({
      ...blank(n),
      ...(down ? { unavailable: reason } : { failed: reason }),
    }))
  }
  const store = new CountingStore(opened.store)
  const { server, origin } = await listen(counterApp(store))
  try {
    for (const concurrent of settings.sizes) {
      const outcome = blank(concurrent)
      try {
        for (let i = 0; i < settings.bursts; i++) await burst(origin, concurrent, outcome, store)
      } catch (error) {
        outcome.failed = error instanceof Error ? error.message : String(error)
      }
      const requests = concurrent * settings.bursts
      outcome.retriesPerRequest /= requests
      outcome.savesPerRequest /= requests
      outcome.msPerRequest /= requests
      outcome.msPerBurst /= settings.bursts
      if (
        outcome.failed === undefined &&
        (outcome.succeeded < requests || outcome.finalCount !== requests)
      ) {
        outcome.failed = `${outcome.succeeded} of ${requests} succeeded, final count ${outcome.finalCount}`
      }
      outcomes.push(outcome)
    }
  } finally {
    await new Promise((resolve) => server.close(resolve))
    await opened.cleanUp()
  }
  return outcomes
}

/** Runs every store and size in turn; a store whose server is down is n/a. */
export async function runConcurrency(settings: ConcurrencySettings): Promise<ConcurrencyOutcome[]> {
  const outcomes: ConcurrencyOutcome[] = []
  for (const kind of STORES) outcomes.push(...(await runStore(kind, settings)))
  return outcomes
}

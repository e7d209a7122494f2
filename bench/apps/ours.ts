import { Hono } from 'hono'
import { MemoryStore, type SessionStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../../schemas/counter.js'
import { CountingStore } from '../counting-store.js'
import { openStore, type StoreKind } from './stores.js'
import type { FetchApp } from '../variants.js'

type CounterEnv = SessionEnv<typeof counterSession>

function buildApp(secret: string, store: SessionStore): Hono<CounterEnv> {
  const app = new Hono<CounterEnv>()
  // Plain http on loopback, so no `Secure` attribute.
  app.use(sessionMiddleware(counterSession, { secret, store, cookie: { secure: false } }))
  return app
}

function addCounter(app: Hono<CounterEnv>): Hono<CounterEnv> {
  app.get('/', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(`Current count: ${n}`)
  })
  return app
}

/**
 * The counter of examples/counter.ts: verify, load, increment, save, Set-Cookie. On the default
 * store (MemoryStore), wrapped so that its calls are counted.
 */
export function buildCounterApp(secret: string): FetchApp {
  const store = new CountingStore(new MemoryStore())
  const app = addCounter(buildApp(secret, store))
  return { fetch: app.fetch, storeCalls: () => store.calls }
}

/** The same counter on a store with a server (or a file): its calls counted, cleaned up after. */
export async function buildStoreCounterApp(secret: string, kind: StoreKind): Promise<FetchApp> {
  const { store: inner, cleanUp } = await openStore(kind)
  const store = new CountingStore(inner)
  const app = addCounter(buildApp(secret, store))
  return { fetch: app.fetch, storeCalls: () => store.calls, cleanUp }
}

/**
 * The same middleware in front of a route that never touches the session; `/prime` creates the
 * session whose cookie the load requests carry.
 */
/**
 * A returning visitor whose request only reads the session: verify, load, validate, and no
 * save and no Set-Cookie (nothing changed). `/prime` stores the counter at 0.
 */
export function buildReadOnlyApp(secret: string): FetchApp {
  const store = new CountingStore(new MemoryStore())
  const app = buildApp(secret, store)
  app.get('/', async (c) => c.text(`Current count: ${await c.var.session.get('counter')}`))
  app.get('/prime', async (c) => {
    await c.var.session.set('counter', 0)
    return c.text('primed')
  })
  return { fetch: app.fetch, storeCalls: () => store.calls }
}

export function buildUntouchedApp(secret: string): FetchApp {
  const store = new CountingStore(new MemoryStore())
  const app = buildApp(secret, store)
  app.get('/', (c) => c.text('Current count: 0'))
  app.get('/prime', async (c) => {
    await c.var.session.set('counter', 1)
    return c.text('primed')
  })
  return { fetch: app.fetch, storeCalls: () => store.calls }
}

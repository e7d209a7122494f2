import { Hono } from 'hono'
import {
  CookieStore,
  Expiry,
  MemoryStore,
  type SessionEvents,
  type SessionStore,
} from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { counterSession } from '../../schemas/counter.js'
import { CountingStore } from '../counting-store.js'
import type { FetchApp } from '../variants.js'
import { openStore, type StoreKind } from './stores.js'

type CounterEnv = SessionEnv<typeof counterSession>

/** The MemoryStore's default bound: `ours` is filled to it before the load. */
const MAX_SESSIONS = 10_000

/**
 * The counter of examples/counter.ts (verify, load, increment, save, Set-Cookie) on `store`,
 * wrapped so that its calls are counted; `/prime` stores a counter without counting.
 */
function counterApp(
  secret: string,
  inner: SessionStore,
  cleanUp?: () => Promise<void>,
  rolling = false,
  on?: SessionEvents
): FetchApp {
  // The CookieStore keeps sessions in the cookie: there are no store calls to count.
  const counting = inner instanceof CookieStore ? undefined : new CountingStore(inner)
  const store = counting ?? inner
  const app = new Hono<CounterEnv>()
  // Plain http on loopback, so no `Secure` attribute.
  const options = { secret, store, cookie: { secure: false }, ...(on && { on }) }
  app.use(
    sessionMiddleware(
      counterSession,
      rolling ? { ...options, expiry: Expiry.onInactivity(3600), touchAfter: 60 } : options
    )
  )
  app.get('/', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(`Current count: ${n}`)
  })
  app.get('/read', async (c) => c.text(`Current count: ${await c.var.session.get('counter')}`))
  app.get('/untouched', (c) => c.text('Current count: 0'))
  app.get('/prime', async (c) => {
    await c.var.session.set('counter', 0)
    return c.text('primed')
  })
  return {
    fetch: app.fetch,
    ...(counting && { storeCalls: () => counting.calls }),
    ...(cleanUp && { cleanUp }),
  }
}

/**
 * The counter on the default MemoryStore, filled to its bound by first visits before the load,
 * so that every new visitor's session evicts one: the steady state of a busy server. `wrap`
 * puts a wrapper around the store (telemetry's `instrument`).
 */
export async function buildFullMemoryApp(
  secret: string,
  on?: SessionEvents,
  wrap: (store: MemoryStore) => SessionStore = (store) => store
): Promise<FetchApp> {
  const app = counterApp(
    secret,
    wrap(new MemoryStore({ maxSessions: MAX_SESSIONS })),
    undefined,
    false,
    on
  )
  for (let i = 0; i < MAX_SESSIONS; i++) await app.fetch!(new Request('http://localhost/'))
  return app
}

/** The counter on a MemoryStore with room for every session of the run: nothing is evicted. */
export function buildRoomyMemoryApp(secret: string): FetchApp {
  return counterApp(secret, new MemoryStore({ maxSessions: 10_000_000 }))
}

/**
 * A rolling session (`Expiry.onInactivity(3600)` with `touchAfter: 60`) on a MemoryStore with
 * room: a read-only returning visitor slides its expiry without a write per request.
 */
export function buildRollingMemoryApp(secret: string): FetchApp {
  return counterApp(secret, new MemoryStore({ maxSessions: 10_000_000 }), undefined, true)
}

/** The counter with the whole session sealed in the cookie (no server state). */
export function buildCookieStoreApp(secret: string): FetchApp {
  return counterApp(secret, new CookieStore())
}

/** The counter on a store with a server (or a file), cleaned up when the server stops. */
export async function buildStoreApp(secret: string, kind: StoreKind): Promise<FetchApp> {
  const { store, cleanUp } = await openStore(kind)
  return counterApp(secret, store, cleanUp)
}

/** A handler for every lifecycle event that counts what it hears: the cost of events when on. */
export function countingHandlers(): { on: SessionEvents; heard: () => number } {
  let heard = 0
  const count = () => void heard++
  const on: SessionEvents = {
    created: count,
    loaded: count,
    saved: count,
    cycled: count,
    flushed: count,
    expired: count,
    invalid: count,
    conflict: count,
    storeError: count,
  }
  return { on, heard: () => heard }
}

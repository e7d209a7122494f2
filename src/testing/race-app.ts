import { Hono } from 'hono'
import { z } from 'zod/v4'
import type { SessionStore } from '../core/store.js'
import { sessionMiddleware, type SessionEnv } from '../hono/index.js'
import { defineSession } from '../schema/define-session.js'
import { sessionCookie } from './cookie-jar.js'
import { expect } from './runner.js'
import { SECRET } from './session-app.js'

/** A session with the shapes users race on: a counter, a list, a record of entries, a user. */
export const raceSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    items: z.array(z.string()).default([]),
    entries: z.record(z.string(), z.number()).default({}),
    user: z.string().optional(),
  })
)

type RaceEnv = SessionEnv<typeof raceSession>

/**
 * The routes of the concurrency suite. `hold` parks a request after it loaded the session
 * until the test releases it, so a race is staged instead of hoped for.
 */
export function raceApp(store: SessionStore, hold?: () => Promise<void>) {
  const app = new Hono<RaceEnv>()
  app.use(sessionMiddleware(raceSession, { secret: SECRET, store, conflictTimeout: 10_000 }))
  app.onError((error, c) => c.text(`${error.name}: ${error.message}`, 500))
  const held = async (c: { var: RaceEnv['Variables'] }) => {
    await c.var.session.get('counter')
    await hold?.()
  }
  app.post('/start', async (c) => {
    await c.var.session.set('user', 'ada')
    return c.text('ok')
  })
  app.post('/increment', async (c) => {
    await held(c)
    return c.json(await c.var.session.update('counter', (n) => n + 1))
  })
  app.post('/append/:item', async (c) => {
    await held(c)
    const item = c.req.param('item')
    await c.var.session.update('items', (items) => [...items, item])
    await c.var.session.update('entries', (entries) => ({ ...entries, [item]: item.length }))
    return c.text('ok')
  })
  app.post('/login', async (c) => {
    await held(c)
    await c.var.session.cycleId()
    await c.var.session.set('user', 'grace')
    return c.text('ok')
  })
  app.post('/logout', async (c) => {
    // A logout page that shows who is logging out reads the session first.
    if (c.req.query('read') !== undefined) await c.var.session.get('user')
    await c.var.session.flush()
    return c.text('ok')
  })
  app.get('/read', async (c) => {
    const session = c.var.session
    return c.json({
      counter: await session.get('counter'),
      items: await session.get('items'),
      entries: await session.get('entries'),
      user: (await session.get('user')) ?? null,
    })
  })
  return app
}

/** The app of `raceApp`. */
export type RaceApp = ReturnType<typeof raceApp>

/** Starts a session on `app`; returns its cookie value. */
export async function startSession(app: RaceApp): Promise<string> {
  const response = await app.request('/start', { method: 'POST' })
  expect(response.status).toBe(200)
  return sessionCookie(response)!.value
}

/** `count` POSTs of `path(i)` with the cookie, all at once. */
export function postAll(app: RaceApp, cookie: string, count: number, path: (i: number) => string) {
  const headers = { Cookie: `id=${cookie}` }
  return Promise.all(
    Array.from({ length: count }, (_, i) => app.request(path(i), { method: 'POST', headers }))
  )
}

/** `store`, with the key of every record the engine asks it to create or save kept in `keys`. */
export function recordingKeys(store: SessionStore): { store: SessionStore; keys: Set<string> } {
  const keys = new Set<string>()
  const recording: SessionStore = {
    inProcess: store.inProcess === true,
    create: (record, options) => (keys.add(record.key), store.create(record, options)),
    save: (record, version) => (keys.add(record.key), store.save(record, version)),
    load: (key) => store.load(key),
    delete: (key) => store.delete(key),
  }
  return { store: recording, keys }
}

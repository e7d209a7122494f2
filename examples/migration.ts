/**
 * Migrations: `npm run example:migration` seeds a store with sessions written by the app's
 * first release (schema version 1), upgrades them in bulk (a dry run first), and serves the
 * current release (version 3), which also upgrades any old session lazily when it loads one.
 */
import { Hono } from 'hono'
import { MemoryStore, Session, migrateStore, type SessionStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { appSession, appSessionV1 } from '../schemas/app-session.js'
import { exampleOptions, serveIfMain } from './counter-app.js'

/** The current release of the app on `store`. */
export function createApp(store: SessionStore) {
  const app = new Hono<SessionEnv<typeof appSession>>()
  app.use(sessionMiddleware(appSession, { store, ...exampleOptions }))

  app.get('/', async (c) => {
    const counter = await c.var.session.update('counter', (n) => n + 1)
    const user = await c.var.session.get('user')
    return c.json({ counter, user: user?.name ?? null })
  })

  app.post('/login/:name', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('user', { id: crypto.randomUUID(), name: c.req.param('name') })
    return c.json({ user: c.req.param('name') })
  })
  return app
}

/** Writes `count` sessions the way the first release did: `{ count }` under version 1. */
export async function seedVersion1Sessions(store: SessionStore, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const session = new Session({ store, schemaVersion: appSessionV1.version })
    await session.set('count', i)
    await session.save()
    ids.push(session.id!)
  }
  return ids
}

const store = new MemoryStore()
if (serveIfMain(import.meta.url, createApp(store), 'Migration example')) {
  await seedVersion1Sessions(store, 1000)
  console.log('dry run:', await migrateStore(appSession, store, { dryRun: true }))
  console.log('migration:', await migrateStore(appSession, store))
}

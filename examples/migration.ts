/**
 * Migrations: `npm run example:migration` seeds a store with sessions written by the app's
 * first release (schema version 1), upgrades them in bulk (a dry run first), and serves the
 * current release (version 3), which also upgrades any old session lazily when it loads one.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { pathToFileURL } from 'node:url'
import { MemoryStore, Session, migrateStore, type SessionStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { appSession, appSessionV1 } from '../schemas/app-session.js'

const production = process.env.NODE_ENV === 'production'
const secret =
  process.env.SESSION_SECRET ??
  (production ? undefined : 'dev-only secret: set SESSION_SECRET in production')

/** The current release of the app on `store`. */
export function createApp(store: SessionStore) {
  const app = new Hono<SessionEnv<typeof appSession>>()
  // See examples/counter.ts for why `secure` is off outside production.
  app.use(sessionMiddleware(appSession, { store, secret: secret!, cookie: { secure: production } }))

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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const store = new MemoryStore()
  await seedVersion1Sessions(store, 1000)
  console.log('dry run:', await migrateStore(appSession, store, { dryRun: true }))
  console.log('migration:', await migrateStore(appSession, store))
  const port = Number(process.env.PORT ?? 3000)
  serve({ fetch: createApp(store).fetch, port }, (info) => {
    console.log(`Migration example listening on http://localhost:${info.port}`)
  })
}

import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { MemoryStore, defineSession, isSessionError, recordKeyOf } from 'typed-sessions'
import type { JsonObject, SessionRecord, SessionStore } from 'typed-sessions'
import { faultApp } from '../helpers/fault-app.js'
import { sessionApp, sessionCookie } from '../helpers/http.js'
import { sqliteFiles } from '../helpers/sqlite-files.js'
import { idOfCookie } from '../helpers/stores.js'

// Stored records that something other than this engine wrote (an old release, a migration
// script, a restore) are invalid stored data for the definition's onInvalid policy, never a
// session that fails every request.

const sqlite = sqliteFiles()
afterAll(() => sqlite.remove())

/** JSON text of arrays nested `depth` levels deep, as a script could write it into a row. */
const nestedJson = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`

/** A store under test and a way to change a record in it behind the engine's back. */
interface RawStore {
  store: SessionStore
  /** Overwrites fields of the stored record; `data` is given as JSON text. */
  write(key: string, change: { data?: string; expiry?: unknown }): Promise<void>
}

const stores: Record<string, () => Promise<RawStore>> = {
  MemoryStore: async () => {
    const store = new MemoryStore()
    return {
      store,
      async write(key, { data, expiry }) {
        const record = (await store.load(key))!
        const changed: SessionRecord = { ...record }
        if (data !== undefined) changed.data = JSON.parse(data) as JsonObject
        if (expiry !== undefined) changed.expiry = expiry as NonNullable<SessionRecord['expiry']>
        await store.save(changed)
      },
    }
  },
  'SqliteStore (a temp file)': async () => {
    const { db, store } = await sqlite.migratedStore()
    return {
      store,
      async write(key, { data, expiry }) {
        if (data !== undefined)
          db.prepare('UPDATE sessions SET data = ? WHERE key = ?').run(data, key)
        if (expiry !== undefined) {
          db.prepare('UPDATE sessions SET expiry = ? WHERE key = ?').run(
            JSON.stringify(expiry),
            key
          )
        }
      },
    }
  },
}

/** POSTs /increment with the cookie; the status and the body (the counter, or the error code). */
async function increment(app: ReturnType<typeof faultApp>['app'], cookie: string) {
  const response = await app.request('/increment', {
    method: 'POST',
    headers: { Cookie: `id=${cookie}` },
  })
  return { status: response.status, body: await response.text(), cookie: sessionCookie(response) }
}

// MemoryStore keeps records as JSON too, so it holds no value deeper than its own
// JSON.stringify can take (about 4,100 levels here); a SQL row holds any depth.
const depths: Record<string, number> = { MemoryStore: 1_000, 'SqliteStore (a temp file)': 10_000 }

for (const [name, open] of Object.entries(stores)) {
  describe(`${name}: a record written behind the engine's back`, () => {
    it('with a value nested beyond the write limit under a key the schema no longer has: dropped at the next save, and every write after works', async () => {
      const { store, write } = await open()
      const { app, errors } = faultApp(store)
      const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
      const key = recordKeyOf(idOfCookie(cookie))
      await write(key, { data: `{"counter":1,"retired":${nestedJson(depths[name]!)}}` })
      expect(await increment(app, cookie)).toMatchObject({ status: 200, body: '2' })
      expect(await increment(app, cookie)).toMatchObject({ status: 200, body: '3' })
      expect(errors).toEqual([])
      expect((await store.load(key))?.data).toEqual({ counter: 3 })
    })

    it("with onInvalid saying 'throw', the save is INVALID_STORED_DATA naming the key", async () => {
      const { store, write } = await open()
      const reasons: string[] = []
      const strict = defineSession(z.object({ counter: z.number().int().default(0) }), {
        onInvalid: (info) => (reasons.push(info.reason), 'throw'),
      })
      const app = sessionApp(strict, { store })
      const errors: unknown[] = []
      app.onError((error, c) => (errors.push(error), c.text('failed', 500)))
      app.post('/increment', async (c) =>
        c.json(await c.var.session.update('counter', (n) => n + 1))
      )
      const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
      await write(recordKeyOf(idOfCookie(cookie)), {
        data: `{"counter":1,"retired":${nestedJson(depths[name]!)}}`,
      })
      const response = await app.request('/increment', {
        method: 'POST',
        headers: { Cookie: `id=${cookie}` },
      })
      expect(response.status).toBe(500)
      const error = errors[0]
      expect(isSessionError(error) && error.code).toBe('INVALID_STORED_DATA')
      expect((error as Error).message).toMatch(/"retired" is nested over 100 levels/)
      expect(reasons).toEqual(['corrupt-record'])
    })

    it('keeps a value the app wrote at the write limit itself, 100 levels deep', async () => {
      const { store } = await open()
      const treeSession = defineSession(
        z.object({ counter: z.number().int().default(0), tree: z.unknown() })
      )
      const app = sessionApp(treeSession, { store })
      app.post('/tree', async (c) => {
        await c.var.session.set('tree', JSON.parse(nestedJson(100)))
        return c.text('ok')
      })
      app.post('/increment', async (c) =>
        c.json(await c.var.session.update('counter', (n) => n + 1))
      )
      const cookie = sessionCookie(await app.request('/tree', { method: 'POST' }))!.value
      const headers = { Cookie: `id=${cookie}` }
      expect((await app.request('/increment', { method: 'POST', headers })).status).toBe(200)
      const stored = await store.load(recordKeyOf(idOfCookie(cookie)))
      expect(JSON.stringify(stored?.data['tree'])).toBe(nestedJson(100))
    })

    it('with a stored expiry out of range (negative seconds): read as no session, and a write starts a fresh one', async () => {
      const { store, write } = await open()
      const { app, errors } = faultApp(store)
      const cookie = sessionCookie(await app.request('/increment', { method: 'POST' }))!.value
      await write(recordKeyOf(idOfCookie(cookie)), {
        expiry: { kind: 'onInactivity', seconds: -1 },
      })
      const fresh = await increment(app, cookie)
      expect(fresh).toMatchObject({ status: 200, body: '1' })
      expect(fresh.cookie?.value).not.toBe(cookie)
      expect(await increment(app, fresh.cookie!.value)).toMatchObject({ status: 200, body: '2' })
      expect(errors).toEqual([])
    })
  })
}

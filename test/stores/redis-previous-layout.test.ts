import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, recordKeyOf } from 'typed-sessions'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord } from '../../src/core/store.js'
import { RedisStore } from '../../src/stores/redis-store.js'
import { CookieJar, sessionApp } from '../helpers/http.js'
import { connectTestRedis } from '../helpers/redis.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { idOfCookie } from '../helpers/stores.js'

// Sessions stored by the release before the owner index (issue 16) are read as they are: no
// migration, no lost session. Their values are written here exactly as that release's
// encodeRecord wrote them (src/stores/redis-record.ts on main before the index).

const redis = await connectTestRedis('redis-previous-layout')
afterAll(() => redis.close())

/** A record's value as the previous release stored it: these fields, in this order. */
function previousReleaseValue(record: SessionRecord): string {
  return JSON.stringify({
    version: record.version,
    expiresAt: record.expiresAt,
    key: record.key,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    expiry: record.expiry,
    token: record.token,
    data: record.data,
  })
}

let stores = 0
function storeWithPreviousRecords(records: SessionRecord[]) {
  const prefix = `${redis.prefix}${stores++}:`
  const store = new RedisStore(redis.client, { prefix })
  const written = Promise.all(
    records.map((record) =>
      redis.client.set(prefix + record.key, previousReleaseValue(record), 'PXAT', record.expiresAt)
    )
  )
  return { store, prefix, written }
}

const ada = ownerKeyOf('ada')
const userSession = defineSession(
  z.object({ user: z.string().optional(), n: z.number().default(0) })
)

describe.skipIf(redis.skipReason !== undefined)(
  'RedisStore over records of the previous release',
  () => {
    it('loads, scans, saves, binds, re-binds and deletes them as they are', async () => {
      const old = [
        makeRecord('old-a', { token: 't', expiry: { kind: 'onInactivity', seconds: 1800 } }),
        makeRecord('old-b', { data: { n: 2 } }),
        makeRecord('old-c'),
      ]
      const { store, written } = storeWithPreviousRecords(old)
      await written
      for (const record of old) expect(await store.load(record.key)).toStrictEqual(record)
      const scanned: string[] = []
      for await (const record of store.scan()) scanned.push(record.key)
      expect(scanned.sort()).toEqual(['old-a', 'old-b', 'old-c'])

      const [a, b, c] = old as [SessionRecord, SessionRecord, SessionRecord]
      expect(await store.save({ ...a, owner: ada, version: 1 }, 0)).toBe(true)
      expect(await store.save({ ...b, data: { n: 3 }, version: 1 }, 0)).toBe(true)
      expect(await store.save({ ...c, owner: ada })).toBe(true)
      expect((await store.listOwner(ada)).map((record) => record.key).sort()).toEqual([
        'old-a',
        'old-c',
      ])
      expect(await store.load('old-b')).toStrictEqual({ ...b, data: { n: 3 }, version: 1 })
      await store.delete('old-a')
      expect((await store.listOwner(ada)).map((record) => record.key)).toEqual(['old-c'])
    })

    it('a live session the previous release stored carries on through the middleware, and a login binds it', async () => {
      const { store, prefix } = storeWithPreviousRecords([])
      const app = sessionApp(userSession, { store })
      app.get('/', async (c) => {
        const n = await c.var.session.get('n')
        await c.var.session.set('n', n + 1)
        return c.text(String(n + 1))
      })
      app.post('/login', async (c) => {
        await c.var.session.cycleId()
        await c.var.session.set('user', 'ada')
        await c.var.session.bind('ada')
        return c.text('ok')
      })
      const jar = new CookieJar(app)
      expect(await jar.text('/')).toBe('1')
      // Rewrite the stored session as the previous release would have written it.
      const key = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
      const stored = (await store.load(key))!
      await redis.client.set(prefix + key, previousReleaseValue(stored), 'PXAT', stored.expiresAt)

      expect(await jar.text('/')).toBe('2')
      await jar.fetch('/login', { method: 'POST' })
      expect(await jar.text('/')).toBe('3')
      const listed = await store.listOwner(ada)
      expect(listed.map((record) => record.key)).toEqual([
        recordKeyOf(idOfCookie(jar.cookies.get('id')!)),
      ])
      expect(listed[0]?.data).toMatchObject({ user: 'ada', n: 3 })
    })
  }
)

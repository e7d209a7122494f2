import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession } from 'typed-sessions'
import { isSessionError, type SessionError } from '../../src/core/errors.js'
import { CachingStore } from '../../src/stores/caching-store.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { CookieJar, sessionApp, sessionCookie } from '../helpers/http.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { TestStore } from '../helpers/stores.js'

// The cache of a CachingStore is an optimisation: once the backing store has answered, a cache
// that throws or refuses a record must not fail the request (issue 15).

const noteSession = defineSession(z.object({ note: z.string().default('') }))

/** A caching store whose cache and backing store are both `TestStore`s (counted, breakable). */
function breakableCache(onCacheError?: (error: SessionError) => void) {
  const cache = new TestStore()
  const backing = new TestStore()
  const options = onCacheError === undefined ? {} : { onCacheError }
  return { cache, backing, store: new CachingStore(cache, backing, options) }
}

describe('CachingStore with a cache that refuses or throws', () => {
  it('saves a 5 KB value through a 4 KB MemoryStore cache: the cookie is set and the value read back', async () => {
    const backing = new MemoryStore()
    const app = sessionApp(noteSession, {
      store: new CachingStore(new MemoryStore({ maxBytes: 4096 }), backing),
    })
    app.post('/note', async (c) => {
      await c.var.session.set('note', await c.req.text())
      return c.text('saved')
    })
    app.get('/note', async (c) => c.text(await c.var.session.get('note')))
    const jar = new CookieJar(app)

    const response = await jar.fetch('/note', { method: 'POST', body: 'x'.repeat(5_000) })

    expect(response.status).toBe(200)
    expect(sessionCookie(response)).toBeDefined()
    expect(backing.size).toBe(1)
    expect((await jar.text('/note')).length).toBe(5_000)
  })

  it('answers a create and a save with the backing store answer when the cache throws on them', async () => {
    const { cache, backing, store } = breakableCache()
    cache.failOn('create')
    cache.failOn('save')
    const record = makeRecord('k')

    expect(await store.create(record)).toBe(true)
    expect(await store.save({ ...record, data: { count: 2 }, version: 1 }, 0)).toBe(true)
    expect(await store.save({ ...record, version: 1 }, 0)).toBe(false) // the backing store's conflict
    expect(await backing.inner.load('k')).toMatchObject({ version: 1, data: { count: 2 } })
  })

  it('drops the older cached copy when the cache throws on a save, so the new record is read', async () => {
    const { cache, store } = breakableCache()
    const record = makeRecord('k')
    await store.create(record) // cached
    cache.failOn('save')
    const next = { ...record, data: { count: 2 }, version: 1 }

    expect(await store.save(next, 0)).toBe(true)

    expect(await cache.inner.load('k')).toBeUndefined()
    expect(await store.load('k')).toStrictEqual(next)
  })

  it('reads from the backing store, on every load, when the cache throws on load', async () => {
    const { cache, backing, store } = breakableCache()
    const record = makeRecord('k')
    await backing.inner.create(record)
    cache.failOn('load')

    expect(await store.load('k')).toStrictEqual(record)
    expect(await store.load('k')).toStrictEqual(record)
    expect(await store.load('missing')).toBeUndefined()
    expect(backing.calls.load).toBe(3)
  })

  it('deletes (a logout) when the cache throws on delete: the backing store no longer has it', async () => {
    const { cache, backing, store } = breakableCache()
    await store.create(makeRecord('k'))
    cache.failOn('delete')

    await store.delete('k')

    expect(await backing.inner.load('k')).toBeUndefined()
  })

  it('tells onCacheError of each failure it absorbed, and ignores a handler that throws', async () => {
    const seen: string[] = []
    const { cache, store } = breakableCache((error) => {
      seen.push(`${error.code}: ${error.message.slice(0, 40)}`)
      throw new Error('a broken logger')
    })
    cache.failOn('load', new Error('cache down'))
    cache.failOn('save', new Error('cache down'))

    expect(await store.create(makeRecord('k'))).toBe(true)
    expect(await store.load('k')).toBeDefined()

    expect(seen.length).toBeGreaterThanOrEqual(2)
    expect(
      seen.every((line) => line.startsWith('STORE_UNAVAILABLE: The cache of a CachingStore'))
    ).toBe(true)
  })

  it('still fails with STORE_UNAVAILABLE when the backing store fails, cache or no cache', async () => {
    const { cache, backing, store } = breakableCache()
    backing.failOn('load')
    cache.failOn('load')

    await expect(store.load('k')).rejects.toSatisfy(
      (error) => isSessionError(error) && error.code === 'STORE_UNAVAILABLE'
    )
  })
})

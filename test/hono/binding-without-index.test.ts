import { createStorage } from 'unstorage'
import memoryDriver from 'unstorage/drivers/memory'
import { describe, expect, it } from 'vitest'
import { CookieStore, isSessionError, type SessionStore } from 'typed-sessions'
import { KvStore } from '../../src/stores/cloudflare/kv-store.js'
import { UnstorageStore } from '../../src/stores/unstorage-store.js'
import { loginSession } from '../helpers/auth.js'
import { sessionApp } from '../helpers/http.js'
import { loggedIn, perUserApp } from '../helpers/per-user-app.js'

// The stores that cannot keep an index of sessions per user atomically with their records
// (DESIGN-16): binding and sessionsPerUser are CONFIG, naming the stores that can.

const stores: [string, () => SessionStore][] = [
  ['CookieStore', () => new CookieStore()],
  ['UnstorageStore', () => new UnstorageStore(createStorage({ driver: memoryDriver() }))],
]

describe('stores without an owner index', () => {
  it.each(stores)('%s: session.bind() is CONFIG naming the stores that can', async (_, make) => {
    const app = sessionApp(loginSession, { store: make() })
    app.post('/bind', async (c) => {
      await c.var.session.cycleId()
      await c.var.session.bind('ada')
      return c.text('bound')
    })
    app.onError((error, c) =>
      c.text(isSessionError(error) ? `${error.code}: ${error.message}` : 'other', 500)
    )
    const response = await app.request('/bind', { method: 'POST' })
    expect(await response.text()).toMatch(
      /^CONFIG: Binding a session needs a store .*Use one of: MemoryStore/
    )
  })

  it.each(stores)('%s: sessionsPerUser is CONFIG at the first login', async (_, make) => {
    const made = perUserApp({ store: make() })
    await expect(loggedIn(made, 'ada')).rejects.toThrow(
      /sessionsPerUser.*needs a store that keeps an index/
    )
  })

  it('Workers KV (KvStore), unstorage and the CookieStore have no listOwner', () => {
    for (const store of [KvStore, UnstorageStore, CookieStore]) {
      expect('listOwner' in store.prototype).toBe(false)
    }
  })
})

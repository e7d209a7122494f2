import { recordKeyOf } from '../core/session-id.js'
import type { SessionStore } from '../core/store.js'
import { CookieJar, idOfCookie } from './cookie-jar.js'
import { raceSession } from './race-app.js'
import { describe, expect, it } from './runner.js'
import { sessionApp } from './session-app.js'
import type { ConformanceSuite } from './store-under-test.js'

/** A counter app on `store`: count, peek, log in (`cycleId`) and log out (`flush`). */
function counterApp(store: SessionStore) {
  const app = sessionApp(raceSession, { store })
  app.get('/count', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(String(n))
  })
  app.get('/peek', async (c) => c.text(String(await c.var.session.get('counter'))))
  app.post('/login', async (c) => (await c.var.session.cycleId(), c.text('cycled')))
  app.post('/logout', async (c) => (await c.var.session.flush(), c.text('flushed')))
  return app
}

/** The conformance case that runs the store under the Hono middleware: a session's lifecycle. */
export function describeMiddlewareCases(suite: ConformanceSuite): void {
  describe('under the Hono middleware', () => {
    it('inserts, reads, cycles the id and flushes a session', async () => {
      const store = suite.store()
      const jar = new CookieJar(counterApp(store))
      expect(await jar.text('/count')).toBe('0')
      expect(await jar.text('/count')).toBe('1')
      const before = jar.cookies.get('id')!
      const oldKey = recordKeyOf(idOfCookie(before))
      expect((await store.load(oldKey))?.data).toEqual({ counter: 2 })

      await jar.fetch('/login', { method: 'POST' })
      const after = jar.cookies.get('id')!
      expect(after).not.toBe(before)
      expect(await store.load(oldKey)).toBeUndefined()
      expect(await jar.text('/peek')).toBe('2')

      const response = await jar.fetch('/logout', { method: 'POST' })
      expect(response.headers.get('set-cookie')).toMatch(/Max-Age=0/)
      expect(await store.load(recordKeyOf(idOfCookie(after)))).toBeUndefined()
      expect(jar.cookies.has('id')).toBe(false)
      expect(await jar.text('/peek')).toBe('0')
    })
  })
}

import { expect } from 'vitest'
import { isSessionError, type SessionStore } from '../../src/index.js'
import { loginSession } from './auth.js'
import { sessionApp } from './http.js'
import { loggedIn, perUserApp } from './per-user-app.js'

/** What every store without an owner index answers to a binding: CONFIG, naming what to use. */
export const BIND_REFUSED = /^CONFIG: Binding a session needs a store .*Use one of: MemoryStore/

/**
 * What a request that binds its session (`cycleId`, then `bind`) on `store` answers: the
 * `SessionError` it failed with, as `CODE: message`, or `bound`.
 * @example expect(await bindingAnswer(new CookieStore())).toMatch(BIND_REFUSED)
 */
export async function bindingAnswer(store: SessionStore): Promise<string> {
  const app = sessionApp(loginSession, { store })
  app.post('/bind', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.bind('ada')
    return c.text('bound')
  })
  app.onError((error, c) =>
    c.text(isSessionError(error) ? `${error.code}: ${error.message}` : 'other', 500)
  )
  return (await app.request('/bind', { method: 'POST' })).text()
}

/**
 * Checks that `store` refuses sessions per user: `bind` and a first login with
 * `sessionsPerUser` are CONFIG, and the store has no `listOwner`.
 */
export async function expectNoOwnerIndex(store: SessionStore): Promise<void> {
  expect(await bindingAnswer(store)).toMatch(BIND_REFUSED)
  await expect(loggedIn(perUserApp({ store }), 'ada')).rejects.toThrow(
    /sessionsPerUser.*needs a store that keeps an index/
  )
  expect(store.listOwner).toBeUndefined()
}

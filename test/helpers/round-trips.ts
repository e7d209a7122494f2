import { counterSession } from '../../schemas/counter.js'
import { CookieJar, sessionApp } from './http.js'
import type { SessionStore } from '../../src/core/store.js'

/**
 * Serves the counter on `store` and makes `requests` returning-visitor requests with one
 * cookie, after a first request that created the session (and bound it to the user `boundTo`,
 * when given: a logged-in visitor). `count` reads how many backend calls the store has made so
 * far (e.g. statements sent by a counting client); the result is that count per returning
 * request, and the final counter, which shows every request was served.
 */
export async function backendCallsPerReturningRequest(
  store: SessionStore,
  count: () => number,
  requests = 10,
  boundTo?: string
): Promise<{ perRequest: number; counter: string }> {
  const app = sessionApp(counterSession, { store })
  app.get('/', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    if (boundTo !== undefined && n === 0) await c.var.session.bind(boundTo)
    return c.text(String(n + 1))
  })
  const jar = new CookieJar(app)
  await jar.text('/')
  const before = count()
  let counter = ''
  for (let i = 0; i < requests; i++) counter = await jar.text('/')
  return { perRequest: (count() - before) / requests, counter }
}

import type { SessionStore } from 'typed-sessions'
import { counterSession } from '../../schemas/counter.js'
import { sessionApp } from './http.js'

/**
 * The counter app on `store`: `GET /count` reads the counter, adds one and answers the value it
 * read, as a returning visitor's request does (one load, one compare-and-set save).
 * @example const jar = new CookieJar(counterApp(store)); await jar.text('/count')
 */
export function counterApp(store: SessionStore) {
  const app = sessionApp(counterSession, { store })
  app.get('/count', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(String(n))
  })
  return app
}

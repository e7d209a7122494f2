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

/**
 * The counter app with a login and a logout (sessions per user): `POST /login/:user` cycles the
 * id and binds the session to the user, `POST /logout` flushes it. A returning visitor's
 * `GET /count` on a bound session is then what the owner index may not make dearer.
 * @example const jar = new CookieJar(boundCounterApp(store)); await jar.fetch('/login/ada', { method: 'POST' })
 */
export function boundCounterApp(store: SessionStore) {
  const app = counterApp(store)
  app.post('/login/:user', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.bind(c.req.param('user'))
    return c.text('ok')
  })
  app.post('/logout', async (c) => (await c.var.session.flush(), c.text('ok')))
  return app
}

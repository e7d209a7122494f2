import { afterAll, describe, expect, it } from 'vitest'
import { recordKeyOf, type SessionStore } from 'typed-sessions'
import { createCsrf } from 'typed-sessions/auth'
import { loginSession } from '../helpers/auth.js'
import { sessionApp, sessionCookie } from '../helpers/http.js'
import { holdPoint, racingStores } from '../helpers/race-stores.js'
import { idOfCookie } from '../helpers/stores.js'

/**
 * GET /token answers a CSRF token, waiting on `hold` where `holdAt` says: after the session was
 * read, or after the token was taken. POST /form checks the token.
 */
function tokenApp(store: SessionStore, hold?: () => Promise<void>, holdAt?: 'read' | 'token') {
  const csrf = createCsrf({ definition: loginSession })
  const app = sessionApp(loginSession, { store })
  app.use(csrf.protect())
  app.get('/start', async (c) => (await c.var.session.set('counter', 1), c.text('ok')))
  app.get('/token', async (c) => {
    await c.var.session.get('counter')
    if (holdAt === 'read') await hold?.()
    const token = await csrf.token(c.var.session)
    if (holdAt === 'token') await hold?.()
    return c.text(token)
  })
  app.post('/form', (c) => c.text('accepted'))
  app.get('/logout', async (c) => (await c.var.session.flush(), c.text('bye')))
  return app
}

for (const stores of racingStores()) {
  describe(`CSRF tokens of two pages rendered at once, ${stores.name}`, () => {
    afterAll(() => stores.close())

    it.each([
      ['read the session', 'read'],
      ['took its token', 'token'],
    ] as const)(
      'keeps both tokens valid when the first page is held after it %s',
      async (_, holdAt) => {
        const [storeA, storeB] = await stores.open()
        const held = holdPoint()
        const pageA = tokenApp(storeA, held.hold, holdAt)
        const pageB = tokenApp(storeB)
        // A session without a CSRF secret yet: what a login leaves behind in many apps.
        const started = await pageB.request('/start')
        const cookie = `id=${sessionCookie(started)!.value}`

        const first = pageA.request('/token', { headers: { cookie } })
        await held.arrived
        const second = await (await pageB.request('/token', { headers: { cookie } })).text()
        held.release()
        const tokens = [await (await first).text(), second]

        for (const token of tokens) {
          const post = { method: 'POST', headers: { cookie, 'x-csrf-token': token } }
          expect((await pageB.request('/form', post)).status).toBe(200)
          expect((await pageA.request('/form', post)).status).toBe(200)
        }
      }
    )

    it('lets a logout racing the first token win: the page renders, no session comes back', async () => {
      const [storeA, storeB] = await stores.open()
      const held = holdPoint()
      const pageA = tokenApp(storeA, held.hold, 'read')
      const pageB = tokenApp(storeB)
      const value = sessionCookie(await pageB.request('/start'))!.value
      const cookie = `id=${value}`

      const page = pageA.request('/token', { headers: { cookie } })
      await held.arrived
      await pageB.request('/logout', { headers: { cookie } })
      held.release()
      const response = await page
      expect(response.status).toBe(200)
      expect(sessionCookie(response)?.attributes['max-age']).toBe('0')
      expect(await storeB.load(recordKeyOf(idOfCookie(value)))).toBeUndefined()
    })
  })
}

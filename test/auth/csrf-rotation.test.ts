import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, redactSensitive } from 'typed-sessions'
import { createAuth, createCsrf } from 'typed-sessions/auth'
import { loginSession, testAuth } from '../helpers/auth.js'
import { CookieJar, sessionApp } from '../helpers/http.js'

/** Login, logout, a token page and a form, all behind `csrf.protect()`. */
function rotationApp() {
  const { auth, users } = testAuth()
  const csrf = createCsrf({ definition: loginSession })
  const app = sessionApp(loginSession)
  app.use(csrf.protect())
  app.get('/token', async (c) => c.text(await csrf.token(c.var.session)))
  app.post('/login/:id', async (c) => {
    await auth.login(c.var.session, users.get(c.req.param('id'))!)
    // The page after the login, rendered by the login request itself.
    return c.text(await csrf.token(c.var.session))
  })
  app.post('/logout', async (c) => (await auth.logout(c.var.session), c.text('bye')))
  app.post('/form', (c) => c.text('accepted'))
  return { app, jar: () => new CookieJar(app) }
}

const withToken = (token: string) => ({ method: 'POST', headers: { 'x-csrf-token': token } })

describe('the CSRF secret across login and logout', () => {
  it('refuses after login a token issued before it, and accepts the new ones', async () => {
    const { jar } = rotationApp()
    const visitor = jar()
    const before = await visitor.text('/token')
    const login = await visitor.fetch('/login/ada', withToken(before))
    expect(login.status).toBe(200)
    const fromLogin = await login.text()

    expect((await visitor.fetch('/form', withToken(before))).status).toBe(403)
    expect((await visitor.fetch('/form', withToken(fromLogin))).status).toBe(200)
    expect((await visitor.fetch('/form', withToken(await visitor.text('/token')))).status).toBe(200)
  })

  it("defeats a tossed cookie: the attacker's token for the session it planted dies at login", async () => {
    const { jar } = rotationApp()
    const attacker = jar()
    const plantedToken = await attacker.text('/token')
    // A sibling subdomain sets the attacker's session cookie in the victim's browser.
    const victim = jar()
    victim.cookies.set('id', attacker.cookies.get('id')!)
    const loginPage = await victim.text('/token')
    expect((await victim.fetch('/login/ada', withToken(loginPage))).status).toBe(200)

    expect((await victim.fetch('/form', withToken(plantedToken))).status).toBe(403)
  })

  it('refuses after logout a token issued before it', async () => {
    const { jar } = rotationApp()
    const visitor = jar()
    const first = await visitor.text('/token')
    await visitor.fetch('/login/bob', withToken(first))
    const loggedIn = await visitor.text('/token')
    expect((await visitor.fetch('/logout', withToken(loggedIn))).status).toBe(200)
    const anonymous = await visitor.text('/token')

    expect((await visitor.fetch('/form', withToken(loggedIn))).status).toBe(403)
    expect((await visitor.fetch('/form', withToken(anonymous))).status).toBe(200)
  })
})

describe('a schema declared as the contract shows it, without the marks', () => {
  const plainSession = defineSession(
    z.object({
      user: z.object({ id: z.string(), authHash: z.string().optional() }).optional(),
      csrf: z.string().optional(),
    })
  )

  it('rotates the secret at login and redacts it and the authHash in this process', async () => {
    const auth = createAuth({
      definition: plainSession,
      userKey: 'user',
      idOf: (user: { id: string }) => user.id,
      loadUser: (id) => ({ id }),
      authHash: () => 'v1',
    })
    const csrf = createCsrf({ definition: plainSession, key: 'csrf' })
    const app = sessionApp(plainSession)
    app.use(csrf.protect())
    app.get('/token', async (c) => c.text(await csrf.token(c.var.session)))
    app.post('/login', async (c) => (await auth.login(c.var.session, { id: 'ada' }), c.text('in')))
    app.post('/form', (c) => c.text('accepted'))
    const visitor = new CookieJar(app)
    const before = await visitor.text('/token')
    expect((await visitor.fetch('/login', withToken(before))).status).toBe(200)
    expect((await visitor.fetch('/form', withToken(before))).status).toBe(403)

    const data = { user: { id: 'ada', authHash: 'v1' }, csrf: 'c2VjcmV0' }
    expect(redactSensitive(plainSession, data)).toEqual({
      user: { id: 'ada', authHash: '[redacted]' },
      csrf: '[redacted]',
    })
  })
})

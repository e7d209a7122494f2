import { describe, expect, it } from 'vitest'
import { createCsrf, type AuthFailure, type RequireUserOptions } from 'typed-sessions/auth'
import { loginSession, testAuth, type TestUser } from '../helpers/auth.js'
import { codeAndMessage } from '../helpers/errors.js'
import { CookieJar, sessionApp } from '../helpers/http.js'

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const SCRIPT = 'application/json'

/** /login/:id logs in; /page is guarded by `requireUser(options)`. */
function guardedApp(options: RequireUserOptions<TestUser> = {}) {
  const { auth, users } = testAuth()
  const app = sessionApp(loginSession)
  app.get('/login/:id', async (c) => {
    await auth.login(c.var.session, users.get(c.req.param('id'))!)
    return c.text('ok')
  })
  app.get('/page', auth.requireUser(options), (c) => c.text(`hello ${c.var.user.name}`))
  return { app, users, jar: () => new CookieJar(app) }
}

const accepting = (accept: string) => ({ headers: { accept } })

describe('requireUser answers', () => {
  it('a script that prefers JSON with JSON, a browser with text', async () => {
    const { jar } = guardedApp()
    const script = await jar().fetch('/page', accepting(SCRIPT))
    expect(script.status).toBe(401)
    expect(script.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await script.json()).toEqual({
      error: 'unauthenticated',
      message: 'Log in to see this page.',
    })
    const browser = await jar().fetch('/page', accepting(BROWSER))
    expect([browser.status, await browser.text()]).toEqual([401, 'Log in to see this page.'])
  })

  it('redirects a browser to redirectTo, but answers a JSON 401 to a script', async () => {
    const { jar } = guardedApp({ redirectTo: '/login' })
    const browser = await jar().fetch('/page?tab=2', accepting(BROWSER))
    expect(browser.status).toBe(302)
    expect(browser.headers.get('location')).toBe('/login?next=%2Fpage%3Ftab%3D2')
    const script = await jar().fetch('/page', accepting('application/json, text/plain, */*'))
    expect(script.status).toBe(401)
    expect((await script.json()).error).toBe('unauthenticated')
  })
})

describe('requireUser({ allow })', () => {
  it('lets in the users it allows, and answers 403 to other logged-in users', async () => {
    const { jar } = guardedApp({ allow: (user) => user.role === 'admin' })
    const ada = jar()
    await ada.fetch('/login/ada')
    expect(await ada.text('/page')).toBe('hello Ada')
    const bob = jar()
    await bob.fetch('/login/bob')
    const refused = await bob.fetch('/page', accepting(SCRIPT))
    expect(refused.status).toBe(403)
    expect((await refused.json()).error).toBe('forbidden')
    const asText = await bob.fetch('/page')
    expect([asText.status, await asText.text()]).toEqual([
      403,
      'Your account is not allowed to see this page.',
    ])
    expect((await jar().fetch('/page')).status).toBe(401)
  })

  it('awaits an async check, given the context', async () => {
    const { jar } = guardedApp({
      allow: async (user, c) => c.req.query('as') === user.id,
    })
    const bob = jar()
    await bob.fetch('/login/bob')
    expect((await bob.fetch('/page?as=bob')).status).toBe(200)
    expect((await bob.fetch('/page?as=ada')).status).toBe(403)
  })
})

describe('requireUser({ onFailure })', () => {
  it("answers every refusal with the app's handler, told why and who", async () => {
    const seen: AuthFailure<TestUser>[] = []
    const { jar } = guardedApp({
      allow: (user) => user.role === 'admin',
      onFailure: (c, failure) => (seen.push(failure), c.html(`<h1>${failure.status}</h1>`, 418)),
    })
    const bob = jar()
    expect((await bob.fetch('/page')).status).toBe(418)
    await bob.fetch('/login/bob')
    const refused = await bob.fetch('/page')
    expect([refused.status, await refused.text()]).toEqual([418, '<h1>403</h1>'])
    expect(seen.map((failure) => failure.reason)).toEqual(['unauthenticated', 'forbidden'])
    expect(seen[1]!.reason === 'forbidden' && seen[1]!.user.id).toBe('bob')
  })
})

describe('csrf.protect() answers', () => {
  it('a script that prefers JSON with JSON, saying why', async () => {
    const csrf = createCsrf({ definition: loginSession })
    const app = sessionApp(loginSession)
    app.use(csrf.protect())
    app.post('/api', (c) => c.text('done'))
    const response = await app.request('/api', { method: 'POST', ...accepting(SCRIPT) })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ error: 'missing-token' })
  })
})

describe('requireUser configuration', () => {
  it('refuses a redirectTo off the site, a non-function allow or onFailure, and both answers', () => {
    const { auth } = testAuth()
    for (const redirectTo of ['//evil.example/login', '/\\evil.example', 'login']) {
      expect(codeAndMessage(() => auth.requireUser({ redirectTo }))).toMatch(
        /^CONFIG: .*a path on this site/
      )
    }
    expect(codeAndMessage(() => auth.requireUser({ allow: 'admin' as never }))).toMatch(
      /^CONFIG: requireUser\(\{ allow \}\) is a function/
    )
    expect(codeAndMessage(() => auth.requireUser({ onFailure: 401 as never }))).toMatch(
      /^CONFIG: requireUser\(\) `onFailure` is a function/
    )
    expect(
      codeAndMessage(() =>
        auth.requireUser({ redirectTo: '/login', onFailure: (c) => c.text('no') })
      )
    ).toMatch(/^CONFIG: requireUser\(\) takes redirectTo or onFailure, not both/)
  })
})

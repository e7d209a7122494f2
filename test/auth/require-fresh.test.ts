import { describe, expect, it } from 'vitest'
import { createAuth } from 'typed-sessions/auth'
import { loginSession, testAuth } from '../helpers/auth.js'
import { loggedIn, perUserApp } from '../helpers/per-user-app.js'
import { sessionApp } from '../helpers/http.js'

// requireFresh(maxAge): sensitive routes need a recent login, with a re-authentication flow.

describe('requireFresh', () => {
  it('lets a user who logged in within maxAge through, and refuses one whose login is older', async () => {
    const made = perUserApp()
    const jar = await loggedIn(made, 'ada')
    expect(await jar.text('/fresh')).toBe('fresh ada')
    made.clock.offset += 301_000
    const stale = await jar.fetch('/fresh', { headers: { Accept: 'application/json' } })
    expect(stale.status).toBe(401)
    expect(await stale.json()).toEqual({
      error: 'stale',
      message: 'Confirm your password to continue.',
    })
    // Still logged in: only the sensitive route asks again.
    expect(await jar.text('/me')).toBe('ada')
  })

  it('reauthenticate makes the login fresh again, under a new session id', async () => {
    const made = perUserApp()
    const jar = await loggedIn(made, 'ada')
    made.clock.offset += 301_000
    const before = jar.cookies.get('id')
    expect((await jar.fetch('/reauth', { method: 'POST' })).status).toBe(200)
    expect(jar.cookies.get('id')).not.toBe(before)
    expect(await jar.text('/fresh')).toBe('fresh ada')
  })

  it('answers 401 to a visitor who is not logged in', async () => {
    const made = perUserApp()
    const response = await made.jar().fetch('/fresh', { headers: { Accept: 'application/json' } })
    expect(response.status).toBe(401)
    expect((await response.json()).error).toBe('unauthenticated')
  })

  it('redirects to redirectTo with the page asked for as next, unless JSON is preferred', async () => {
    const { auth, users } = testAuth()
    const app = sessionApp(loginSession)
    app.post(
      '/login',
      async (c) => (await auth.login(c.var.session, users.get('ada')!), c.text('ok'))
    )
    const clocked = createAuth({
      definition: loginSession,
      userKey: 'user',
      idOf: (user: { id: string }) => user.id,
      loadUser: (id) => users.get(id),
      authHash: (user) => `v${user.version}`,
      now: () => Date.now() + 3_600_000,
    })
    app.get('/email', clocked.requireFresh(60, { redirectTo: '/confirm' }), (c) => c.text('ok'))
    const login = await app.request('/login', { method: 'POST' })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const response = await app.request('/email?tab=2', { headers: { Cookie: cookie } })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/confirm?next=%2Femail%3Ftab%3D2')
    const script = await app.request('/email', {
      headers: { Cookie: cookie, Accept: 'application/json' },
    })
    expect(script.status).toBe(401)
  })

  it('reauthenticate refuses a user other than the one logged in', async () => {
    const made = perUserApp()
    made.app.post('/reauth-as-bob', async (c) => {
      await made.auth.reauthenticate(c.var.session, made.users.get('bob')!)
      return c.text('ok')
    })
    const jar = await loggedIn(made, 'ada')
    const response = await jar.fetch('/reauth-as-bob', { method: 'POST' })
    expect(await response.text()).toMatch(
      /reauthenticate\(session, user\) is for the user who is logged in/
    )
  })

  it('refuses a maxAge that is not a positive number, and a redirectTo off the site', () => {
    const { auth } = testAuth()
    expect(() => auth.requireFresh(0)).toThrow(/maxAge.*> 0/)
    expect(() => auth.requireFresh(60, { redirectTo: 'https://evil.example' })).toThrow(
      /path on this site/
    )
  })
})

import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { MemoryStore, defineSession, isSessionError, sensitive } from 'typed-sessions'
import { createAuth } from 'typed-sessions/auth'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { loginSession, testAuth } from '../helpers/auth.js'
import { codeAndMessage } from '../helpers/errors.js'
import { CookieJar, SECRET, sessionApp } from '../helpers/http.js'
import { recordOfCookie } from '../helpers/stores.js'

/** An app with the auth helpers: /login/:id, /logout, /me (requireUser), /who, /go (redirect). */
function authApp() {
  const store = new MemoryStore()
  const { auth, users, state } = testAuth()
  const app = sessionApp(loginSession, { store })
  app.get('/count', async (c) =>
    c.text(String(await c.var.session.update('counter', (n) => n + 1)))
  )
  app.post('/login/:id', async (c) => {
    await auth.login(c.var.session, users.get(c.req.param('id'))!)
    return c.text('ok')
  })
  app.post('/logout', async (c) => (await auth.logout(c.var.session), c.text('bye')))
  app.get('/me', auth.requireUser(), async (c) => {
    // A second ask in the same request is answered without another load.
    const again = await auth.currentUser(c.var.session)
    return c.text(`${c.var.user.name} ${again === c.var.user}`)
  })
  app.get('/who', async (c) => c.text((await auth.currentUser(c.var.session))?.name ?? 'nobody'))
  app.get('/go', auth.requireUser({ redirectTo: '/login' }), (c) => c.text('in'))
  const errors: unknown[] = []
  app.onError((error, c) => (errors.push(error), c.text('error', 500)))
  return { app, store, users, state, errors, jar: () => new CookieJar(app) }
}

describe('login and logout', () => {
  it('login gives the session a new id, keeps its data and stores the user id and auth hash', async () => {
    const { store, jar } = authApp()
    const ada = jar()
    await ada.fetch('/count')
    const before = ada.cookies.get('id')!
    await ada.fetch('/login/ada', { method: 'POST' })
    const after = ada.cookies.get('id')!
    expect(after.split('.')[0]).not.toBe(before.split('.')[0])
    expect(await recordOfCookie(store, before)).toBeUndefined()
    expect((await recordOfCookie(store, after))?.data).toEqual({
      counter: 1,
      user: { id: 'ada', authHash: 'v1' },
      csrf: expect.stringMatching(/^[\w-]{43}$/),
      $session: { loginAt: expect.any(Number), lastSeenAt: expect.any(Number) },
    })
    expect(await ada.text('/me')).toBe('Ada true')
  })

  it('logout deletes the stored session and removes the cookie', async () => {
    const { store, jar } = authApp()
    const ada = jar()
    await ada.fetch('/login/ada', { method: 'POST' })
    const cookie = ada.cookies.get('id')!
    const response = await ada.fetch('/logout', { method: 'POST' })
    expect(response.headers.get('set-cookie')).toMatch(/^id=; .*Max-Age=0/)
    expect(await recordOfCookie(store, cookie)).toBeUndefined()
    expect(await ada.text('/who')).toBe('nobody')
  })
})

describe('requireUser', () => {
  it('answers 401 to a visitor who is not logged in, and lets a logged-in one through', async () => {
    const { jar } = authApp()
    const visitor = jar()
    const response = await visitor.fetch('/me')
    expect(response.status).toBe(401)
    await visitor.fetch('/login/bob', { method: 'POST' })
    expect(await visitor.text('/me')).toBe('Bob true')
  })

  it('redirects to redirectTo with the page asked for as next', async () => {
    const { app } = authApp()
    const response = await app.request('/go?tab=2')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/go?tab=2')}`)
  })

  it('loads the user once per request, however many times it is asked', async () => {
    const { jar, state } = authApp()
    const ada = jar()
    await ada.fetch('/login/ada', { method: 'POST' })
    state.loads = 0
    await ada.fetch('/me')
    await ada.fetch('/me')
    expect(state.loads).toBe(2)
  })
})

describe('re-validation on each request', () => {
  it('logs out a disabled account on its next request', async () => {
    const { jar, users, store } = authApp()
    const ada = jar()
    await ada.fetch('/login/ada', { method: 'POST' })
    const cookie = ada.cookies.get('id')!
    users.get('ada')!.disabled = true
    const response = await ada.fetch('/me')
    expect(response.status).toBe(401)
    expect(response.headers.get('set-cookie')).toMatch(/Max-Age=0/)
    expect(await recordOfCookie(store, cookie)).toBeUndefined()
    // Re-enabled, the account still needs a new login.
    users.get('ada')!.disabled = false
    expect((await ada.fetch('/me')).status).toBe(401)
  })

  it('logs out every session of a user whose auth hash changed (a password change)', async () => {
    const { jar, users } = authApp()
    const laptop = jar()
    const phone = jar()
    await laptop.fetch('/login/ada', { method: 'POST' })
    await phone.fetch('/login/ada', { method: 'POST' })
    users.get('ada')!.version++
    // The laptop changed the password and logs in again; the phone's session is over.
    await laptop.fetch('/login/ada', { method: 'POST' })
    expect(await laptop.text('/who')).toBe('Ada')
    expect(await phone.text('/who')).toBe('nobody')
    expect(phone.cookies.has('id')).toBe(false)
  })

  it('treats a stored login without an auth hash as stale when the app checks one', async () => {
    const { jar, store } = authApp()
    const ada = jar()
    await ada.fetch('/login/ada', { method: 'POST' })
    const record = (await recordOfCookie(store, ada.cookies.get('id')!))!
    await store.save({ ...record, data: { user: { id: 'ada' } } })
    expect(await ada.text('/who')).toBe('nobody')
  })

  it('surfaces a failing loadUser to onError instead of logging the user out', async () => {
    const { jar, state, errors } = authApp()
    const ada = jar()
    await ada.fetch('/login/ada', { method: 'POST' })
    state.failLoads = true
    expect((await ada.fetch('/me')).status).toBe(500)
    expect((errors[0] as Error).message).toBe('the user database is down')
    state.failLoads = false
    expect(await ada.text('/me')).toBe('Ada true')
  })
})

describe('a session under another contextKey', () => {
  it('logs in and guards routes on the session the middleware put under contextKey', async () => {
    const { users } = testAuth()
    const auth = createAuth({
      definition: loginSession,
      userKey: 'user',
      idOf: (user: { id: string }) => user.id,
      loadUser: (id) => users.get(id),
      contextKey: 'admin',
    })
    const app = new Hono<SessionEnv<typeof loginSession, 'admin'>>()
    app.use(
      sessionMiddleware(loginSession, {
        secret: SECRET,
        contextKey: 'admin',
        cookie: { name: 'admin' },
      })
    )
    app.post(
      '/login',
      async (c) => (await auth.login(c.var.admin, users.get('ada')!), c.text('ok'))
    )
    app.get('/me', auth.requireUser(), (c) => c.text(c.var.user.id))
    const jar = new CookieJar(app)
    expect((await jar.fetch('/me')).status).toBe(401)
    await jar.fetch('/login', { method: 'POST' })
    expect(jar.cookies.has('admin')).toBe(true)
    expect(await jar.text('/me')).toBe('ada')
  })
})

describe('configuration mistakes throw at creation', () => {
  it('names the missing schema key and shows how to declare it', () => {
    const message = codeAndMessage(() =>
      createAuth({
        definition: loginSession,
        userKey: 'account' as 'user',
        idOf: (user: { id: string }) => user.id,
        loadUser: () => undefined,
      })
    )
    expect(message).toMatch(/^CONFIG: .*"account" is not a key of the session schema/)
    expect(message).toMatch(
      /z\.object\(\{ id: z\.string\(\), authHash: z\.string\(\)\.optional\(\) \}\)/
    )
  })

  it('refuses a missing loadUser and a redirectTo that is not a local path', () => {
    const { auth } = testAuth()
    expect(
      codeAndMessage(() =>
        createAuth({ definition: loginSession, userKey: 'user', idOf: () => 'x' } as never)
      )
    ).toMatch(/^CONFIG: createAuth needs `loadUser`/)
    expect(codeAndMessage(() => auth.requireUser({ redirectTo: 'https://evil.example/' }))).toMatch(
      /^CONFIG: .*a path on this site/
    )
  })

  it('refuses an authHash option whose field is missing from the schema', () => {
    const withoutHash = {
      userKey: 'user' as const,
      idOf: (user: { id: string }) => user.id,
      loadUser: () => undefined,
    }
    const options = { ...withoutHash, authHash: () => 'v1' }
    const missing = defineSession(z.object({ user: z.object({ id: z.string() }).optional() }))
    expect(codeAndMessage(() => createAuth({ definition: missing, ...options }))).toMatch(
      /^CONFIG: .*authHash: z\.string\(\)\.optional\(\)/
    )
    // Marked sensitive() or not: the CLI redacts an authHash field either way.
    for (const authHash of [z.string().optional(), sensitive(z.string()).optional()]) {
      const definition = defineSession(
        z.object({ user: z.object({ id: z.string(), authHash }).optional() })
      )
      expect(codeAndMessage(() => createAuth({ definition, ...options }))).toBe('no error')
    }
    // Without the option there is no hash to store, and nothing to mark.
    const plain = defineSession(z.object({ user: z.object({ id: z.string() }).optional() }))
    expect(codeAndMessage(() => createAuth({ definition: plain, ...withoutHash }))).toBe('no error')
  })

  it('says to register sessionMiddleware first when requireUser runs without a session', async () => {
    const { auth } = testAuth()
    const app = new Hono()
    let caught: unknown
    app.get('/', auth.requireUser() as never, (c) => c.text('in'))
    app.onError((error, c) => ((caught = error), c.text('error', 500)))
    await app.request('/')
    expect(isSessionError(caught) && caught.code).toBe('CONFIG')
    expect((caught as Error).message).toMatch(/Register sessionMiddleware\(\) before it/)
  })
})

import { afterAll, describe, expect, it } from 'vitest'
import { CookieJar } from '../test/helpers/http.js'
import { HttpCookieJar, listen } from '../test/helpers/server.js'
import { createAuthApp } from './auth.js'

/** What the scenarios need of a cookie jar: in process (`app.request`) or over real HTTP. */
interface Jar {
  cookies: Map<string, string>
  fetch(path: string, init?: RequestInit): Promise<Response>
  text(path: string, init?: RequestInit): Promise<string>
}

/** The CSRF token of a page's form. */
const tokenOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? 'none'
const flashesOf = (page: string) =>
  [...page.matchAll(/<p class="flash">([^<]*)<\/p>/g)].map((m) => m[1])

const post = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
})

/** Opens the login form (for `next`) and posts it with the form's token. */
async function logIn(jar: Jar, password: string, next = '/') {
  const form = await jar.text(`/login?next=${encodeURIComponent(next)}`)
  return jar.fetch('/login', post({ _csrf: tokenOf(form), username: 'ada', password, next }))
}

const setups: {
  name: string
  start: () => Promise<{ jar: () => Jar; users: ReturnType<typeof createAuthApp>['users'] }>
}[] = [
  {
    name: 'in process',
    start: async () => {
      const { app, users } = createAuthApp()
      return { jar: () => new CookieJar(app), users }
    },
  },
  {
    name: 'behind a real HTTP server',
    start: async () => {
      const { app, users } = createAuthApp()
      const server = await listen(app)
      afterAll(() => server.close())
      return { jar: () => new HttpCookieJar(server.url), users }
    },
  },
]

for (const setup of setups) {
  describe(`the login example, ${setup.name}`, async () => {
    const { jar, users } = await setup.start()

    it('counts visits before and after login', async () => {
      const visitor = jar()
      expect(await visitor.text('/')).toContain('Visits: 1')
      expect(await visitor.text('/')).toContain('Visits: 2')
      await logIn(visitor, 'lovelace')
      expect(await visitor.text('/')).toContain('Visits: 3')
    })

    it('logs in with a flash shown exactly once, on the page after the redirect', async () => {
      const visitor = jar()
      const response = await logIn(visitor, 'lovelace')
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe('/')
      const home = await visitor.text('/')
      expect(home).toContain('Logged in as Ada Lovelace')
      expect(flashesOf(home)).toEqual(['Welcome back, Ada Lovelace!'])
      expect(flashesOf(await visitor.text('/'))).toEqual([])
    })

    it('answers a wrong password with a flash on the login form, and no login', async () => {
      const visitor = jar()
      const response = await logIn(visitor, 'babbage')
      expect(response.headers.get('location')).toBe('/login')
      expect(flashesOf(await visitor.text('/login'))).toEqual(['Wrong user name or password.'])
      expect(await visitor.text('/')).toContain('Not logged in')
    })

    it('sends a visitor to the login form and back to the protected page', async () => {
      const visitor = jar()
      const away = await visitor.fetch('/account')
      expect(away.status).toBe(302)
      expect(away.headers.get('location')).toBe('/login?next=%2Faccount')
      const back = await logIn(visitor, 'lovelace', '/account')
      expect(back.headers.get('location')).toBe('/account')
      expect(await visitor.text('/account')).toContain('Account of Ada Lovelace')
    })

    it.each([
      '//evil.example/',
      '/\t/evil.example',
      '/\\evil.example',
      '/.//evil.example',
      '/%2F/evil.example',
    ])('never redirects off the site after login, with next=%j', async (next) => {
      const response = await logIn(jar(), 'lovelace', next)
      expect(response.headers.get('location')).toBe('/')
    })

    it('refuses a login post without the form token', async () => {
      const visitor = jar()
      await visitor.text('/login')
      const response = await visitor.fetch(
        '/login',
        post({ username: 'ada', password: 'lovelace' })
      )
      expect(response.status).toBe(403)
      expect(await visitor.text('/')).toContain('Not logged in')
    })

    it('logs out, removing the cookie', async () => {
      const visitor = jar()
      await logIn(visitor, 'lovelace')
      const home = await visitor.text('/')
      const response = await visitor.fetch('/logout', post({ _csrf: tokenOf(home) }))
      expect(response.status).toBe(303)
      expect(visitor.cookies.has('id')).toBe(false)
      expect(await visitor.text('/')).toContain('Not logged in')
    })

    it("a password change keeps this session and logs out the user's other sessions", async () => {
      const laptop = jar()
      const phone = jar()
      await logIn(laptop, 'lovelace')
      await logIn(phone, 'lovelace')
      const account = await laptop.text('/account')
      const changed = await laptop.fetch(
        '/account/password',
        post({ _csrf: tokenOf(account), password: 'analytical engine' })
      )
      expect(changed.headers.get('location')).toBe('/account')
      expect(flashesOf(await laptop.text('/account'))).toEqual([
        'Password changed; your other sessions were logged out.',
      ])
      expect(await phone.text('/')).toContain('Not logged in')
      users.setPassword(users.get('ada')!, 'lovelace')
    })

    it('logs out a disabled account on its next request', async () => {
      const visitor = jar()
      await logIn(visitor, 'lovelace')
      users.get('ada')!.disabled = true
      try {
        expect(await visitor.text('/')).toContain('Not logged in')
        expect((await visitor.fetch('/account')).status).toBe(302)
      } finally {
        users.get('ada')!.disabled = false
      }
    })
  })
}

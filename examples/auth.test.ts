import { afterAll, describe, expect, it } from 'vitest'
import { exampleSetups, flashesOf, logIn, post, tokenOf } from '../test/helpers/auth-example.js'

for (const setup of exampleSetups) {
  describe(`the login example, ${setup.name}`, async () => {
    const { jar, users, close } = await setup.start()
    afterAll(close)

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

    it("escapes what it shows: a user's name that is markup, on the page and in the flash", async () => {
      users.add('eve', '<img src=x onerror=alert(1)>', 'password1')
      const visitor = jar()
      await logIn(visitor, 'password1', { username: 'eve' })
      const home = await visitor.text('/')
      expect(home).toContain('Logged in as &lt;img src=x onerror=alert(1)&gt;')
      expect(flashesOf(home)).toEqual(['Welcome back, &lt;img src=x onerror=alert(1)&gt;!'])
      expect(home).not.toContain('<img')
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
      const back = await logIn(visitor, 'lovelace', { next: '/account' })
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
      const response = await logIn(jar(), 'lovelace', { next })
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

import { describe, expect, it, onTestFinished } from 'vitest'
import {
  devicesOf,
  exampleSetups,
  whoOf,
  flashesOf,
  logIn,
  post,
  tokenOf,
  type Jar,
} from '../test/helpers/auth-example.js'

const MINUTE = 60_000
const EVIL_NEXTS = [
  '//evil.example/',
  '/\t/evil.example',
  '/\\evil.example',
  '/.//evil.example',
  'https://evil.example/',
]

/** Posts a new password from the password page's form. */
async function changePassword(jar: Jar, password: string) {
  const form = await jar.text('/account/password')
  return jar.fetch('/account/password', post({ _csrf: tokenOf(form), password }))
}

/** Posts the confirmation form of /confirm?next=… with `password`. */
async function confirm(jar: Jar, password: string, next = '/account/password') {
  const form = await jar.text(`/confirm?next=${encodeURIComponent(next)}`)
  return jar.fetch('/confirm', post({ _csrf: tokenOf(form), password, next }))
}

for (const setup of exampleSetups) {
  describe(`the password change of the login example, ${setup.name}`, () => {
    const start = async () => {
      const example = await setup.start()
      onTestFinished(() => example.close())
      return example
    }

    it('changes the password on a fresh login, signing the other devices out at once', async () => {
      const example = await start()
      const [laptop, phone] = [example.jar(), example.jar()]
      await logIn(phone, 'lovelace')
      await logIn(laptop, 'lovelace')
      const changed = await changePassword(laptop, 'analytical engine')
      expect(changed.status).toBe(303)
      expect(changed.headers.get('location')).toBe('/account')
      expect(flashesOf(await laptop.text('/account'))).toEqual([
        'Password changed; signed out 1 other device.',
      ])
      // Before the phone comes back: it is off the list already.
      expect(devicesOf(await laptop.text('/account/devices')).map((row) => row.current)).toEqual([
        true,
      ])
      expect(await whoOf(phone)).toBe('Not logged in')
      expect(await whoOf(laptop)).toBe('Logged in as Ada Lovelace')
      expect((await logIn(example.jar(), 'lovelace')).headers.get('location')).toBe('/login')
      expect((await logIn(example.jar(), 'analytical engine')).headers.get('location')).toBe('/')
    })

    it('sends a login older than 5 minutes to confirm the password, then back to the form', async () => {
      const example = await start()
      const laptop = example.jar()
      await logIn(laptop, 'lovelace')
      example.clock.offset += 4 * MINUTE
      expect((await laptop.fetch('/account/password')).status).toBe(200)
      example.clock.offset += 2 * MINUTE
      const stale = await laptop.fetch('/account/password')
      expect(stale.status).toBe(302)
      expect(stale.headers.get('location')).toBe('/confirm?next=%2Faccount%2Fpassword')
      const page = await laptop.text('/confirm?next=%2Faccount%2Fpassword')
      expect(page).toContain('You logged in more than 5 minutes ago')
      expect(page).toContain('name="next" value="/account/password"')

      const wrong = await confirm(laptop, 'babbage')
      expect(wrong.headers.get('location')).toBe('/confirm?next=%2Faccount%2Fpassword')
      expect(flashesOf(await laptop.text('/confirm'))).toEqual(['Wrong password.'])
      expect((await laptop.fetch('/account/password')).status).toBe(302)

      const before = laptop.cookies.get('id')!.split('.')[0]
      const right = await confirm(laptop, 'lovelace')
      expect(right.status).toBe(303)
      expect(right.headers.get('location')).toBe('/account/password')
      expect(laptop.cookies.get('id')!.split('.')[0]).not.toBe(before) // a new session id
      expect((await laptop.fetch('/account/password')).status).toBe(200)
      expect((await changePassword(laptop, 'analytical engine')).headers.get('location')).toBe(
        '/account'
      )
    })

    it('refuses a stale password post too, and changes nothing', async () => {
      const example = await start()
      const laptop = example.jar()
      await logIn(laptop, 'lovelace')
      const form = await laptop.text('/account/password')
      example.clock.offset += 6 * MINUTE
      const late = await laptop.fetch(
        '/account/password',
        post({ _csrf: tokenOf(form), password: 'analytical engine' })
      )
      expect(late.status).toBe(302)
      expect(late.headers.get('location')).toBe('/confirm?next=%2Faccount%2Fpassword')
      expect((await logIn(example.jar(), 'analytical engine')).headers.get('location')).toBe(
        '/login'
      )
      expect(await whoOf(laptop)).toBe('Logged in as Ada Lovelace')
    })

    it('sends a visitor to log in first, and then straight to the form (a login is fresh)', async () => {
      const example = await start()
      const visitor = example.jar()
      const away = await visitor.fetch('/account/password')
      expect(away.headers.get('location')).toBe('/login?next=%2Faccount%2Fpassword')
      const back = await logIn(visitor, 'lovelace', { next: '/account/password' })
      expect(back.headers.get('location')).toBe('/account/password')
      expect((await visitor.fetch('/account/password')).status).toBe(200)
    })

    it('keeps the password when the new one is shorter than 8 characters', async () => {
      const example = await start()
      const laptop = example.jar()
      await logIn(laptop, 'lovelace')
      const short = await changePassword(laptop, 'ada')
      expect(short.headers.get('location')).toBe('/account/password')
      expect(flashesOf(await laptop.text('/account/password'))).toEqual([
        'Choose a password of at least 8 characters.',
      ])
      expect((await logIn(example.jar(), 'lovelace')).headers.get('location')).toBe('/')
    })

    it('refuses the confirmation and the password posts without the CSRF token', async () => {
      const example = await start()
      const laptop = example.jar()
      await logIn(laptop, 'lovelace')
      const change = await laptop.fetch(
        '/account/password',
        post({ password: 'analytical engine' })
      )
      const confirmed = await laptop.fetch('/confirm', post({ password: 'lovelace' }))
      expect([change.status, confirmed.status]).toEqual([403, 403])
      expect((await logIn(example.jar(), 'lovelace')).headers.get('location')).toBe('/')
    })

    it.each(EVIL_NEXTS)('never sends the confirmation off the site, with next=%j', async (next) => {
      const example = await start()
      const laptop = example.jar()
      await logIn(laptop, 'lovelace')
      const form = await laptop.text(`/confirm?next=${encodeURIComponent(next)}`)
      expect(form).toContain('name="next" value="/account"')
      const response = await confirm(laptop, 'lovelace', next)
      expect(response.headers.get('location')).toBe('/account')
    })
  })
}

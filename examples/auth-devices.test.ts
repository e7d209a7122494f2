import { MemoryStore } from 'typed-sessions'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  devicesOf,
  exampleSetups,
  FIREFOX_ON_MAC,
  SAFARI_ON_IPHONE,
  whoOf,
  flashesOf,
  listingsInRounds,
  logIn,
  post,
  tokenOf,
  type Jar,
  type StartedExample,
} from '../test/helpers/auth-example.js'

const MINUTE = 60_000

/** The devices page of `jar`, and its rows. */
async function devicesPage(jar: Jar) {
  const page = await jar.text('/account/devices')
  return { page, rows: devicesOf(page), token: tokenOf(page) }
}

for (const setup of exampleSetups) {
  describe(`the devices page of the login example, ${setup.name}`, () => {
    /** A new app for each test, so that no other test's logins count toward the limit. */
    const start = async (options?: Parameters<typeof setup.start>[0]) => {
      const example = await setup.start(options)
      onTestFinished(() => example.close())
      return example
    }

    /** A laptop (Firefox on macOS) and then a phone (Safari on iOS) logged in as ada. */
    const laptopAndPhone = async (example: StartedExample) => {
      const laptop = example.jar()
      const phone = example.jar()
      await logIn(laptop, 'lovelace', { userAgent: FIREFOX_ON_MAC })
      await logIn(phone, 'lovelace', { userAgent: SAFARI_ON_IPHONE })
      return { laptop, phone }
    }

    it('lists each device of the user with its browser, network and times, this one marked', async () => {
      const example = await start()
      const before = example.clock.now()
      const { laptop, phone } = await laptopAndPhone(example)
      const after = example.clock.now()
      const { page, rows } = await devicesPage(laptop)
      expect(page).toContain('You can be logged in on at most 3 devices at once.')
      // Newest first: the phone logged in last.
      expect(rows.map(({ current, agent, network }) => ({ current, agent, network }))).toEqual([
        { current: false, agent: 'Safari 18 on iOS', network: example.network },
        { current: true, agent: 'Firefox 133 on macOS', network: example.network },
      ])
      for (const row of rows) {
        expect(row.createdAt).toBeGreaterThanOrEqual(before - 1000)
        expect(row.lastSeenAt).toBeGreaterThanOrEqual(before)
        expect(row.lastSeenAt).toBeLessThanOrEqual(after + 10)
      }
      expect(rows[0]!.handle).toMatch(/^[\w-]{22}$/)
      expect(rows[1]!.handle).toBeUndefined() // this device has no "Sign out" button
      // No cookie, nor the session id in it, is anywhere on the page.
      expect(page).not.toContain(phone.cookies.get('id')!.split('.')[0]!)
      const fromPhone = (await devicesPage(phone)).rows
      expect(fromPhone.map((row) => [row.agent, row.current])).toEqual([
        ['Safari 18 on iOS', true],
        ['Firefox 133 on macOS', false],
      ])
      expect(fromPhone[1]!.handle).toMatch(/^[\w-]{22}$/)
      expect(fromPhone[1]!.handle).not.toBe(rows[0]!.handle)
    })

    it("moves a device's last seen when it comes back after 5 minutes, not before", async () => {
      const example = await start()
      const { laptop, phone } = await laptopAndPhone(example)
      const seen = async () => (await devicesPage(phone)).rows.find((row) => !row.current)!
      const atLogin = (await seen()).lastSeenAt
      example.clock.offset += 4 * MINUTE
      await laptop.text('/')
      expect((await seen()).lastSeenAt).toBe(atLogin)
      example.clock.offset += 2 * MINUTE
      const back = example.clock.now()
      await laptop.text('/')
      const rows = (await devicesPage(phone)).rows
      expect(rows[0]!.agent).toBe('Firefox 133 on macOS') // now the newest
      expect(rows[0]!.lastSeenAt).toBeGreaterThanOrEqual(back)
    })

    it('signs another device out with its button: that browser is logged out on its next request', async () => {
      const example = await start()
      const { laptop, phone } = await laptopAndPhone(example)
      const { rows, token } = await devicesPage(laptop)
      const signOut = await laptop.fetch(
        '/account/devices/sign-out',
        post({ _csrf: token, handle: rows[0]!.handle! })
      )
      expect(signOut.status).toBe(303)
      expect(signOut.headers.get('location')).toBe('/account/devices')
      const after = await devicesPage(laptop)
      expect(flashesOf(after.page)).toEqual(['Signed out that device.'])
      expect(after.rows.map((row) => row.agent)).toEqual(['Firefox 133 on macOS'])
      expect(await whoOf(phone)).toBe('Not logged in')
      expect((await phone.fetch('/account')).headers.get('location')).toBe('/login?next=%2Faccount')
      expect(await whoOf(laptop)).toBe('Logged in as Ada Lovelace')
    })

    it("says a device is already signed out for a dead handle, garbage, or another user's session", async () => {
      const example = await start()
      example.users.add('grace', 'Grace Hopper', 'cobol1959')
      const { laptop, phone } = await laptopAndPhone(example)
      const [grace, gracesPhone] = [example.jar(), example.jar()]
      await logIn(gracesPhone, 'cobol1959', { username: 'grace' })
      await logIn(grace, 'cobol1959', { username: 'grace' })
      const gracesOther = (await devicesPage(grace)).rows.find((row) => !row.current)!.handle!
      const { rows, token } = await devicesPage(laptop)
      const phoneHandle = rows[0]!.handle!
      const signOut = async (handle: string) => {
        await laptop.fetch('/account/devices/sign-out', post({ _csrf: token, handle }))
        return flashesOf(await laptop.text('/account/devices'))
      }
      expect(await signOut(phoneHandle)).toEqual(['Signed out that device.'])
      expect(await signOut(phoneHandle)).toEqual(['That device was already signed out.'])
      expect(await signOut('not a handle')).toEqual(['That device was already signed out.'])
      expect(await signOut(gracesOther)).toEqual(['That device was already signed out.'])
      expect(await whoOf(gracesPhone)).toBe('Logged in as Grace Hopper')
      expect(await whoOf(phone)).toBe('Not logged in')
    })

    it('signs out everywhere else, keeping this device', async () => {
      const example = await start()
      const { laptop, phone } = await laptopAndPhone(example)
      const tablet = example.jar()
      await logIn(tablet, 'lovelace')
      const { page, token } = await devicesPage(laptop)
      expect(page).toContain('Sign out everywhere else')
      const response = await laptop.fetch(
        '/account/devices/sign-out-others',
        post({ _csrf: token })
      )
      expect(response.headers.get('location')).toBe('/account/devices')
      const after = await devicesPage(laptop)
      expect(flashesOf(after.page)).toEqual(['Signed out 2 other devices.'])
      expect(after.rows.map((row) => row.current)).toEqual([true])
      expect(after.page).not.toContain('Sign out everywhere else')
      expect(await whoOf(phone)).toBe('Not logged in')
      expect(await whoOf(tablet)).toBe('Not logged in')
      expect(await whoOf(laptop)).toBe('Logged in as Ada Lovelace')
    })

    it('refuses both sign-out posts without the CSRF token, and signs nobody out', async () => {
      const example = await start()
      const { laptop, phone } = await laptopAndPhone(example)
      const { rows } = await devicesPage(laptop)
      const one = await laptop.fetch(
        '/account/devices/sign-out',
        post({ handle: rows[0]!.handle! })
      )
      const others = await laptop.fetch('/account/devices/sign-out-others', post({}))
      expect([one.status, others.status]).toEqual([403, 403])
      expect(await whoOf(phone)).toBe('Logged in as Ada Lovelace')
      expect((await devicesPage(laptop)).rows).toHaveLength(2)
    })

    it('asks a visitor to log in before showing the devices page', async () => {
      const example = await start()
      const response = await example.jar().fetch('/account/devices')
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe('/login?next=%2Faccount%2Fdevices')
    })

    it('a fourth login signs out the device that logged in longest ago', async () => {
      const example = await start()
      const browsers = [example.jar(), example.jar(), example.jar(), example.jar()]
      for (const browser of browsers) await logIn(browser, 'lovelace')
      expect(await whoOf(browsers[0]!)).toBe('Not logged in')
      for (const browser of browsers.slice(1)) {
        expect(await whoOf(browser)).toBe('Logged in as Ada Lovelace')
      }
      expect((await devicesPage(browsers[3]!)).rows).toHaveLength(3)
    })

    it('four logins at the same moment: one is told to log in again, three stay', async () => {
      // Each login's two listings (before and after its save) run together with the others'.
      const example = await start({ store: listingsInRounds(new MemoryStore(), 4, 2) })
      const browsers = [example.jar(), example.jar(), example.jar(), example.jar()]
      const forms = await Promise.all(browsers.map((browser) => browser.text('/login')))
      const responses = await Promise.all(
        browsers.map((browser, i) =>
          browser.fetch(
            '/login',
            post({ _csrf: tokenOf(forms[i]!), username: 'ada', password: 'lovelace' })
          )
        )
      )
      expect(responses.map((response) => response.status)).toEqual([303, 303, 303, 303])
      const refused = responses.findIndex((r) => r.headers.get('location') === '/login')
      expect(responses.filter((r) => r.headers.get('location') === '/')).toHaveLength(3)
      const told = await browsers[refused]!.text('/login')
      expect(flashesOf(told)).toEqual(['You logged in on too many devices at once; log in again.'])
      expect(await whoOf(browsers[refused]!)).toBe('Not logged in')
      const kept = browsers.filter((_, i) => i !== refused)
      for (const browser of kept) expect(await whoOf(browser)).toBe('Logged in as Ada Lovelace')
      expect((await devicesPage(kept[0]!)).rows).toHaveLength(3)
    })
  })
}

import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthApp } from '../../examples/auth.js'
import { FIREFOX_ON_MAC, SAFARI_ON_IPHONE } from '../helpers/auth-example.js'
import { browserSkipReason, launchBrowsers } from '../helpers/browser.js'
import { movableClock } from '../helpers/per-user-app.js'
import { listen, type ServedApp } from '../helpers/server.js'

// The devices page and the password change of examples/auth.ts, in two real browser contexts
// (each its own cookies, as a laptop and a phone): one signs the other out.
describe.skipIf(browserSkipReason !== undefined)('the devices page in chromium', () => {
  const clock = movableClock()
  let server: ServedApp
  let browsers: Awaited<ReturnType<typeof launchBrowsers>>
  let laptop: Page
  let phone: Page

  beforeAll(async () => {
    server = await listen(createAuthApp({ now: clock.now }).app)
    browsers = await launchBrowsers()
    laptop = await (await browsers.newContext({ userAgent: FIREFOX_ON_MAC })).newPage()
    phone = await (await browsers.newContext({ userAgent: SAFARI_ON_IPHONE })).newPage()
  }, 60_000)

  afterAll(async () => {
    await browsers?.close()
    await server?.close()
  })

  const path = (page: Page) => new URL(page.url()).pathname + new URL(page.url()).search
  const who = (page: Page) => page.locator('#who').textContent()
  const flashes = (page: Page) => page.locator('.flash').allTextContents()
  const rows = (page: Page) => page.locator('tr.device')

  async function logIn(page: Page, password: string) {
    await page.goto(`${server.url}/login`)
    await page.fill('input[name=username]', 'ada')
    await page.fill('input[name=password]', password)
    await page.click('button')
    expect(await who(page)).toBe('Logged in as Ada Lovelace')
  }

  it('lists both browsers on the devices page, this one marked', async () => {
    await logIn(laptop, 'lovelace')
    await logIn(phone, 'lovelace')
    await laptop.goto(`${server.url}/`)
    await laptop.click('text=Your account')
    await laptop.click('text=Your devices')
    expect(path(laptop)).toBe('/account/devices')
    expect(await rows(laptop).count()).toBe(2)
    expect(await laptop.locator('tr.device.current .agent').textContent()).toBe(
      'Firefox 133 on macOS'
    )
    expect(await laptop.locator('tr.device.current').textContent()).toContain('This device')
    const other = laptop.locator('tr.device:not(.current)')
    expect(await other.locator('.agent').textContent()).toBe('Safari 18 on iOS')
    expect(await other.locator('.ip').textContent()).toBe('127.0.0.0')
    expect(await laptop.locator('#policy').textContent()).toContain('at most 3 devices')
  })

  it('signs the other browser out, which is logged out on its next navigation', async () => {
    await laptop.locator('tr.device:not(.current) button', { hasText: 'Sign out' }).click()
    expect(path(laptop)).toBe('/account/devices')
    expect(await flashes(laptop)).toEqual(['Signed out that device.'])
    expect(await rows(laptop).count()).toBe(1)
    await phone.goto(`${server.url}/`)
    expect(await who(phone)).toBe('Not logged in')
    await phone.goto(`${server.url}/account`)
    expect(path(phone)).toBe('/login?next=%2Faccount')
    await laptop.goto(`${server.url}/`)
    expect(await who(laptop)).toBe('Logged in as Ada Lovelace')
  })

  it('signs out everywhere else with one button', async () => {
    await logIn(phone, 'lovelace')
    await laptop.goto(`${server.url}/account/devices`)
    expect(await rows(laptop).count()).toBe(2)
    await laptop.click('button:has-text("Sign out everywhere else")')
    expect(await flashes(laptop)).toEqual(['Signed out 1 other device.'])
    expect(await rows(laptop).count()).toBe(1)
    await phone.reload()
    expect(await who(phone)).toBe('Not logged in')
  })

  it('asks for the password again before a change once the login is 5 minutes old', async () => {
    await logIn(phone, 'lovelace')
    await laptop.goto(`${server.url}/account/password`)
    expect(path(laptop)).toBe('/account/password') // the login is fresh: straight to the form
    clock.offset += 6 * 60_000
    await laptop.goto(`${server.url}/account`)
    await laptop.click('text=Change your password')
    expect(path(laptop)).toBe('/confirm?next=%2Faccount%2Fpassword')
    await laptop.fill('input[name=password]', 'babbage')
    await laptop.click('button:has-text("Confirm")')
    expect(await flashes(laptop)).toEqual(['Wrong password.'])
    await laptop.fill('input[name=password]', 'lovelace')
    await laptop.click('button:has-text("Confirm")')
    expect(path(laptop)).toBe('/account/password')
    await laptop.fill('input[name=password]', 'analytical engine')
    await laptop.click('button:has-text("Change password")')
    expect(path(laptop)).toBe('/account')
    expect(await flashes(laptop)).toEqual(['Password changed; signed out 1 other device.'])
    await phone.reload()
    expect(await who(phone)).toBe('Not logged in')
    await logIn(phone, 'analytical engine')
  })
})

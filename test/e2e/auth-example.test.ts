import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthApp } from '../../examples/auth.js'
import { browserSkipReason, launchBrowser } from '../helpers/browser.js'
import { listen, type ServedApp } from '../helpers/server.js'

// examples/auth.ts in a real browser: forms, redirects, cookies and HttpOnly as a user meets them.
describe.skipIf(browserSkipReason !== undefined)('the login example in chromium', () => {
  let server: ServedApp
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    server = await listen(createAuthApp().app)
    browser = await launchBrowser()
    context = browser.context
    page = await context.newPage()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  const text = (selector: string) => page.locator(selector).textContent()
  const flashes = () => page.locator('.flash').allTextContents()
  const sessionCookie = async () => (await context.cookies(server.url)).find((c) => c.name === 'id')

  it('counts visits across reloads', async () => {
    await page.goto(`${server.url}/`)
    expect(await text('#visits')).toBe('Visits: 1')
    await page.reload()
    expect(await text('#visits')).toBe('Visits: 2')
  })

  it('keeps the session cookie out of document.cookie (HttpOnly) while the browser holds it', async () => {
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/(^|; )id=/)
    expect(await sessionCookie()).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
  })

  it('shows a wrong password as a flash, once', async () => {
    await page.goto(`${server.url}/login`)
    await page.fill('input[name=username]', 'ada')
    await page.fill('input[name=password]', 'babbage')
    await page.click('button')
    expect(new URL(page.url()).pathname).toBe('/login')
    expect(await flashes()).toEqual(['Wrong user name or password.'])
    await page.reload()
    expect(await flashes()).toEqual([])
  })

  it('logs in through the form: a new session id, and a welcome shown exactly once', async () => {
    const before = (await sessionCookie())!.value
    await page.fill('input[name=username]', 'ada')
    await page.fill('input[name=password]', 'lovelace')
    await page.click('button')
    expect(new URL(page.url()).pathname).toBe('/')
    expect(await text('#who')).toBe('Logged in as Ada Lovelace')
    expect(await flashes()).toEqual(['Welcome back, Ada Lovelace!'])
    expect((await sessionCookie())!.value.split('.')[0]).not.toBe(before.split('.')[0])
    // The count carried over the login; the flash did not survive the next page.
    await page.reload()
    expect(await text('#visits')).toBe('Visits: 4')
    expect(await flashes()).toEqual([])
  })

  it('opens the protected page when logged in', async () => {
    await page.goto(`${server.url}/account`)
    expect(await text('#account')).toBe('Account of Ada Lovelace')
  })

  it('stays on the site after a login whose next is /<tab>/evil.example', async () => {
    await page.goto(`${server.url}/`)
    await page.click('text=Log out')
    await page.goto(`${server.url}/login?next=${encodeURIComponent('/\t/evil.example')}`)
    await page.fill('input[name=username]', 'ada')
    await page.fill('input[name=password]', 'lovelace')
    await page.click('button')
    expect(new URL(page.url()).origin).toBe(new URL(server.url).origin)
    expect(await text('#who')).toBe('Logged in as Ada Lovelace')
  })

  it('logs out with the form, after which the protected page sends the browser to log in', async () => {
    await page.goto(`${server.url}/`)
    await page.click('text=Log out')
    expect(await text('#who')).toBe('Not logged in')
    expect(await text('#visits')).toBe('Visits: 1')
    await page.goto(`${server.url}/account`)
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?next=%2Faccount')
  })
})

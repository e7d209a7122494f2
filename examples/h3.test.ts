import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeListener } from 'h3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpCookieJar } from '../test/helpers/server.js'
import { createH3CounterApp } from './h3.js'

// h3 on Node's http server, end to end: sessions from the Fetch adapter in another framework.
describe('the h3 example', () => {
  const server = createServer(toNodeListener(createH3CounterApp()))
  let url = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((done) => server.close(() => done())))

  it('counts per visitor with a cookie jar, and logs out', async () => {
    const alice = new HttpCookieJar(url)
    const bob = new HttpCookieJar(url)
    const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
    expect(counts).toEqual(['Current count: 0', 'Current count: 1', 'Current count: 0'])
    const logout = await alice.fetch('/logout', { method: 'POST' })
    expect(await logout.text()).toBe('Logged out')
    expect(alice.cookies.has('id')).toBe(false)
    expect(await alice.text('/')).toBe('Current count: 0')
  })

  it('sends the session headers through h3: Vary and a private Cache-Control', async () => {
    const response = await fetch(`${url}/`)
    expect(response.headers.get('vary')).toBe('Cookie')
    expect(response.headers.get('cache-control')).toBe('private')
    expect(response.headers.getSetCookie()).toHaveLength(1)
  })
})

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { FetchJar } from '../../test/helpers/fetch-jar.js'
import worker from './worker.js'

// Runs inside workerd, with the test Worker's local bindings (vitest.workerd.config.ts): the
// SESSIONS Durable Object namespace, SESSION_SECRET and SECURE_COOKIES.
const app = { fetch: (request: Request) => worker.fetch(request, env) }

describe('the Cloudflare Worker example', () => {
  it('counts per visitor with sessions in Durable Objects', async () => {
    const alice = new FetchJar(app)
    const bob = new FetchJar(app)
    const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
    expect([...counts, await alice.text('/')]).toStrictEqual([
      'Current count: 0',
      'Current count: 1',
      'Current count: 0',
      'Current count: 2',
    ])
  })

  it('logs out: the cookie is removed and the count starts again', async () => {
    const jar = new FetchJar(app)
    await jar.text('/')
    await jar.fetch('/logout', { method: 'POST' })
    expect(jar.cookies.has('id')).toBe(false)
    expect(await jar.text('/')).toBe('Current count: 0')
  })
})

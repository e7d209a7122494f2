import { describe, expect, it } from 'vitest'
import { FetchJar } from '../test/helpers/fetch-jar.js'
import { countOnServedExample } from '../test/helpers/spawned-server.js'
import { fetch } from './fetch.js'

describe('the plain fetch example', () => {
  it('counts per visitor in process, and logs out', async () => {
    const alice = new FetchJar({ fetch })
    const bob = new FetchJar({ fetch })
    const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
    expect(counts).toEqual(['Current count: 0', 'Current count: 1', 'Current count: 0'])
    expect(await alice.text('/logout', { method: 'POST' })).toBe('Logged out')
    expect(alice.cookies.has('id')).toBe(false)
    expect(await alice.text('/')).toBe('Current count: 0')
  })

  it('serves the counter on Node with `npm run example:fetch`', async () => {
    await countOnServedExample('npm', ['run', 'example:fetch'])
  })
})

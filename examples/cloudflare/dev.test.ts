import { describe, expect, it } from 'vitest'
import { startWorker } from './dev.js'

// On Node, against the built package (npm run test:node-dist): what `npm run example:cloudflare`
// serves, in workerd through miniflare.
describe('the Cloudflare Worker example, served locally', () => {
  it('counts with a cookie over plain http on a local port', async () => {
    const port = 32_000 + Math.floor(Math.random() * 1000)
    const worker = await startWorker(port)
    try {
      const first = await fetch(`http://127.0.0.1:${port}/`)
      expect(await first.text()).toBe('Current count: 0')
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      const second = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } })
      expect(await second.text()).toBe('Current count: 1')
    } finally {
      await worker.dispose()
    }
  })
})

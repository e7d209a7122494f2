import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { countTwoVisitors } from '../test/helpers/http.js'
import { app } from './counter.js'

describe('the counter example', () => {
  it('counts per visitor in process', async () => {
    await countTwoVisitors(app)
  })

  it('serves plain http on PORT with `npm run example` and counts with a cookie jar', async () => {
    const port = 31_000 + Math.floor(Math.random() * 1000)
    const child = spawn('npm', ['run', 'example'], {
      env: { ...process.env, PORT: String(port), NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    })
    try {
      let output = ''
      child.stdout.setEncoding('utf8')
      while (!output.includes('listening')) {
        const [chunk] = (await once(child.stdout, 'data')) as [string]
        output += chunk
      }
      expect(output).toContain(`http://localhost:${port}`)
      const first = await fetch(`http://127.0.0.1:${port}/`)
      expect(await first.text()).toBe('Current count: 0')
      // Not Secure outside production, so a plain-http client on any host name keeps it.
      const setCookie = first.headers.get('set-cookie') ?? ''
      expect(setCookie).not.toMatch(/Secure/)
      const cookie = setCookie.split(';')[0]!
      const second = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } })
      expect(await second.text()).toBe('Current count: 1')
    } finally {
      process.kill(-child.pid!, 'SIGTERM')
    }
  })
})

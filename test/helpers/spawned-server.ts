import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { expect } from 'vitest'

/**
 * Starts `command` (an example server) on a random port, waits for it to print "listening",
 * counts twice with a cookie as a visitor would, and stops it.
 */
export async function countOnServedExample(command: string, args: string[]): Promise<void> {
  const port = 33_000 + Math.floor(Math.random() * 5000)
  const child = spawn(command, args, {
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
    const first = await fetch(`http://127.0.0.1:${port}/`)
    expect(await first.text()).toBe('Current count: 0')
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const second = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } })
    expect(await second.text()).toBe('Current count: 1')
  } finally {
    process.kill(-child.pid!, 'SIGTERM')
  }
}

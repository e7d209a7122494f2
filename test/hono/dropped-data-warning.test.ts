import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineSession, MemoryStore } from 'typed-sessions'
import type { SessionEvents } from 'typed-sessions'
import { CookieJar, sessionApp } from '../helpers/http.js'

// Issue 19 item 6: a schema change without a migration must not wipe data silently. Without an
// `invalid` handler, the first drop in a process is warned of outside production. The warning
// is once per process: the tests below run in order, the one that warns last.

const cartV1 = defineSession(z.object({ cart: z.array(z.string()).optional() }))
const cartV2 = defineSession(
  z.object({ cart: z.object({ items: z.array(z.string()) }).default({ items: [] }) })
)

/** Stores a v1 cart, then reads it through a v2 app; the cart the v2 app read. */
async function readChangedCart(on?: SessionEvents): Promise<unknown> {
  const store = new MemoryStore()
  const v1 = sessionApp(cartV1, { store })
  v1.post('/', async (c) => {
    await c.var.session.set('cart', ['apple', 'pear'])
    return c.text('ok')
  })
  const jar = new CookieJar(v1)
  await jar.fetch('/', { method: 'POST' })
  const cookie = `id=${jar.cookies.get('id')!}`
  const v2 = sessionApp(cartV2, { store, ...(on && { on }) })
  v2.get('/', async (c) => c.json(await c.var.session.get('cart')))
  return (await v2.request('/', { headers: { cookie } })).json()
}

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('a value dropped because the schema changed', () => {
  it('is not warned of in production', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(await readChangedCart()).toEqual({ items: [] })
    expect(warn.mock.calls.filter(([text]) => /did not fit/.test(String(text)))).toEqual([])
  })

  it('is told to the invalid handler instead of a warning when there is one', async () => {
    vi.stubEnv('NODE_ENV', 'development')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const invalid = vi.fn()
    expect(await readChangedCart({ invalid })).toEqual({ items: [] })
    expect(invalid).toHaveBeenCalledTimes(1)
    expect(warn).not.toHaveBeenCalled()
  })

  it('is warned of the first time in development, naming the key and the fix', async () => {
    vi.stubEnv('NODE_ENV', 'development')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    await readChangedCart()
    await readChangedCart()
    expect(warn).toHaveBeenCalledTimes(1)
    const text = String(warn.mock.calls[0]![0])
    expect(text).toMatch(/"cart" did not fit the session schema/)
    expect(text).toMatch(/add a migration step/)
    expect(text).not.toContain('apple')
  })
})

import { Redis } from 'ioredis'
import { recordKeyOf } from 'typed-sessions'
import { afterAll, describe, expect, it } from 'vitest'
import type { CookieJar } from '../test/helpers/http.js'
import { countTwoVisitors } from '../test/helpers/http.js'
import { HttpCookieJar, listen } from '../test/helpers/server.js'
import { services, skipReasonFor } from '../test/helpers/services.js'
import { app, redis, store } from './redis.js'

// A probe that fails at once: the example's own client retries a down server for seconds.
const skipReason = await skipReasonFor('Redis', services.redis, async () => {
  const probe = new Redis(services.redis, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  probe.on('error', () => {})
  try {
    await probe.connect()
  } finally {
    probe.disconnect()
  }
})

const sessionKeys: string[] = []

afterAll(async () => {
  if (skipReason === undefined && sessionKeys.length > 0) await redis.del(...sessionKeys)
  redis.disconnect()
})

/** The Redis key of the session a jar holds: the prefix, then the SHA-256 of the id. */
function redisKeyOf(jar: CookieJar): string {
  const cookie = jar.cookies.get('id')
  if (cookie === undefined) throw new Error('the app set no session cookie')
  const key = `${store.prefix}${recordKeyOf(cookie.split('.')[0]!)}`
  sessionKeys.push(key)
  return key
}

describe.skipIf(skipReason !== undefined)('the Redis counter example', () => {
  it('counts per visitor across requests, each session one Redis key with a TTL', async () => {
    const { alice, bob } = await countTwoVisitors(app)

    const key = redisKeyOf(alice)
    const stored = JSON.parse((await redis.get(key)) ?? 'null') as { data: unknown }
    expect(stored.data).toStrictEqual({ counter: 3 })
    expect(await redis.pttl(key)).toBeGreaterThan(0)
    expect(await redis.exists(redisKeyOf(bob))).toBe(1)
  })

  it('counts behind a real HTTP server, the cookie carried by a fetch cookie jar', async () => {
    const server = await listen(app)
    try {
      const alice = new HttpCookieJar(server.url)
      const bob = new HttpCookieJar(server.url)
      const counts = [
        await alice.text('/'),
        await alice.text('/'),
        await bob.text('/'),
        await alice.text('/'),
      ]
      expect(counts).toEqual([0, 1, 0, 2].map((n) => `Current count: ${n}`))
      const key = `${store.prefix}${recordKeyOf(alice.cookies.get('id')!.split('.')[0]!)}`
      sessionKeys.push(key, `${store.prefix}${recordKeyOf(bob.cookies.get('id')!.split('.')[0]!)}`)
      expect(JSON.parse((await redis.get(key)) ?? 'null')).toMatchObject({ data: { counter: 3 } })
    } finally {
      await server.close()
    }
  })
})

import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryStore } from 'typed-sessions'
import type { SessionStore } from 'typed-sessions'
import { RedisStore } from 'typed-sessions/redis'
import { raceApp } from '../helpers/concurrency-suite.js'
import { services, skipReasonFor } from '../helpers/services.js'

// DESIGN.md §8 once more over real sockets: a browser's parallel fetches reach a real server.

const redis = new Redis(services.redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
const redisSkip = await skipReasonFor('Redis', services.redis, () => redis.connect())
const prefix = `test:concurrency-http:${crypto.randomUUID()}:`
const servers: ServerType[] = []

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve))
  if (redisSkip === undefined) {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.unlink(...keys)
  }
  redis.disconnect()
})

/** Serves the race app on a free loopback port; returns its base URL. */
async function listen(store: SessionStore): Promise<string> {
  const app = raceApp(store)
  return new Promise((resolve) => {
    const server = serve(
      { fetch: app.fetch, hostname: '127.0.0.1', port: 0 },
      (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`)
    )
    servers.push(server)
  })
}

const stores: { name: string; skip?: string | undefined; store: () => SessionStore }[] = [
  { name: 'MemoryStore', store: () => new MemoryStore() },
  { name: 'RedisStore', skip: redisSkip, store: () => new RedisStore(redis, { prefix }) },
]

describe.each(stores)('over HTTP, on the $name', ({ skip, store }) => {
  it.skipIf(skip !== undefined)(
    '50 parallel fetches incrementing one session all count',
    async () => {
      const base = await listen(store())
      const start = await fetch(`${base}/start`, { method: 'POST' })
      const cookie = start.headers.getSetCookie()[0]!.split(';')[0]!
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(`${base}/increment`, { method: 'POST', headers: { Cookie: cookie } })
        )
      )
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200))
      await Promise.all(responses.map((r) => r.arrayBuffer()))
      const state = await (await fetch(`${base}/read`, { headers: { Cookie: cookie } })).json()
      expect(state.counter).toBe(50)
    }
  )
})

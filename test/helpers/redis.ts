import { Redis } from 'ioredis'
import { services, skipReasonFor } from './services.js'

/** A connection to the shared test Redis, under a key prefix no other run uses. */
export interface TestRedis {
  /** The ioredis client (connected unless `skipReason` is set). */
  client: Redis
  /** Why the Redis tests of this file are skipped; undefined when the server answered. */
  skipReason: string | undefined
  /** `test:<topic>:<random>:`: every key this file writes starts with it. */
  prefix: string
  /** Deletes every key under `prefix` (never FLUSHDB: the server is shared) and disconnects. */
  close(): Promise<void>
}

/**
 * Connects to the shared Redis of `services.redis` for one test file. Outside CI a down server
 * skips (with `skipReason`); in CI it fails, as every store test does.
 * @example
 * const redis = await connectTestRedis('caching-store')
 * afterAll(() => redis.close())
 */
export async function connectTestRedis(topic: string): Promise<TestRedis> {
  const client = new Redis(services.redis, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  const skipReason = await skipReasonFor('Redis', services.redis, () => client.connect())
  const prefix = `test:${topic}:${crypto.randomUUID()}:`
  return {
    client,
    skipReason,
    prefix,
    async close() {
      if (skipReason === undefined) await deleteRedisKeys(client, prefix)
      client.disconnect()
    },
  }
}

/** Deletes every key starting with `prefix`, which must hold no glob characters. */
export async function deleteRedisKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await client.unlink(...keys)
  } while (cursor !== '0')
}

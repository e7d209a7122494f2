import { afterAll, describe, expect, it } from 'vitest'
import { recordKeyOf } from 'typed-sessions'
import { RedisStore } from 'typed-sessions/redis'
import { runCapturing, seedSessions } from '../helpers/cli.js'
import { connectTestRedis } from '../helpers/redis.js'

// The shared Redis, every key of this run under its own prefix (set for the config module too).
const redis = await connectTestRedis('cli')
afterAll(() => redis.close())
process.env.CLI_TEST_REDIS_PREFIX = redis.prefix
const config = ['--config', 'test/cli/fixtures/redis.config.ts']

describe.skipIf(redis.skipReason !== undefined)('typed-sessions on Redis', () => {
  const store = new RedisStore(redis.client, { prefix: redis.prefix })

  it('counts, inspects and migrates the sessions of a Redis store', async () => {
    const ids = await seedSessions(store, 4, 2)

    const stats = JSON.parse((await runCapturing(['stats', '--json', ...config])).stdout)
    expect(stats).toMatchObject({ sessions: 6, versions: { '1': 4, '3': 2 }, older: 4 })

    const inspected = await runCapturing(['inspect', ids[1]!, ...config])
    expect(JSON.parse(inspected.stdout)).toMatchObject({ schemaVersion: 1, data: { count: 2 } })

    const migrated = await runCapturing(['migrate', ...config])
    expect(migrated.stdout).toMatch(/^migrated 4 of 6 sessions to version 3; 2 already current/)
    expect(await store.load(recordKeyOf(ids[1]!))).toMatchObject({
      schemaVersion: 3,
      data: { counter: 2, role: 'customer' },
    })
    // Redis expires keys itself: there is nothing to purge, and the CLI says why.
    expect((await runCapturing(['purge-expired', ...config])).stdout).toMatch(
      /^nothing to do: .*Redis TTL/
    )
  })

  it('reports a store that is down as STORE_UNAVAILABLE with its cause, exit code 1', async () => {
    const run = await runCapturing(['stats', '--config', 'test/cli/fixtures/down-redis.config.ts'])
    expect(run.code).toBe(1)
    // The SessionError's sentence, then the driver's own error as the cause.
    expect(run.stderr).toMatch(
      /^STORE_UNAVAILABLE: The session store failed during scan.*\(.+\)\n$/
    )
  })
})

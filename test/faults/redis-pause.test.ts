import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, describe, it } from 'vitest'
import { RedisStore, type RedisStoreClient } from '../../src/stores/redis-store.js'
import { faultApp } from '../helpers/fault-app.js'
import { expectToSurviveFaults } from '../helpers/fault-scenario.js'
import { startRedisServer, type RedisServerProcess } from '../helpers/redis-server.js'
import { skipReasonFor } from '../helpers/services.js'

// Issue 7 items 4 and 5: a Redis that stops answering (`CLIENT PAUSE 2000 ALL`) under a steady
// load. Every store call that has not settled after `storeTimeout` fails the request with
// STORE_UNAVAILABLE instead of holding it for the whole pause. The pause would stall everyone
// on a shared server, so it runs on a private redis-server on a spare port.

let server: RedisServerProcess | undefined
const skipReason = await skipReasonFor(
  'a private redis-server',
  'redis-server on PATH',
  async () => {
    server = await startRedisServer()
  }
)

const closers: (() => Promise<unknown> | void)[] = []

afterAll(async () => {
  for (const close of closers.splice(0)) await close()
  await server?.stop()
})

const STORE_TIMEOUT = 500
const PAUSE = 2_000

/** Pauses every client of the server for `PAUSE` ms once the load has run a while. */
async function pauseOnce(url: string): Promise<number> {
  const admin = new Redis(url)
  try {
    await new Promise((resolve) => setTimeout(resolve, 300))
    await admin.client('PAUSE', PAUSE, 'ALL')
    await new Promise((resolve) => setTimeout(resolve, PAUSE))
    return 1
  } finally {
    admin.disconnect()
  }
}

/** Each driver as an application would create it, with its defaults. */
const drivers: { name: string; connect: (url: string) => Promise<RedisStoreClient> }[] = [
  {
    name: 'ioredis',
    connect: async (url) => {
      const client = new Redis(url)
      client.on('error', () => {})
      closers.push(() => client.disconnect())
      return client
    },
  },
  {
    name: 'node-redis',
    connect: async (url) => {
      const client = createClient({ url })
      client.on('error', () => {})
      await client.connect()
      closers.push(() => (client.isOpen ? client.close() : undefined))
      return client
    },
  },
]

describe.skipIf(skipReason !== undefined)('a paused Redis under load', () => {
  for (const driver of drivers) {
    it(`${driver.name}: requests fail after storeTimeout, none waits out the pause, all recover`, async () => {
      const url = server!.url
      const store = new RedisStore(await driver.connect(url), { prefix: `${driver.name}:` })
      const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
      await expectToSurviveFaults({
        store,
        request: (path, init) => Promise.resolve(app.request(path, init)),
        errors,
        inject: () => pauseOnce(url),
        loadMs: 300 + PAUSE + 500,
        // storeTimeout, plus slack for the event loop of a busy 2-core machine.
        deadlineMs: STORE_TIMEOUT + 750,
        expectFailures: true,
      })
    })
  }
})

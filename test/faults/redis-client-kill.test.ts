import { Redis, type RedisOptions } from 'ioredis'

type IoredisOption =
  'connectionName' | 'autoResendUnfulfilledCommands' | 'enableOfflineQueue' | 'maxRetriesPerRequest'
import { createClient } from 'redis'
import { afterAll, describe, it } from 'vitest'
import { RedisStore, type RedisStoreClient } from '../../src/stores/redis-store.js'
import { faultApp, serveOnLoopback } from '../helpers/fault-app.js'
import { expectToSurviveFaults, repeatedly } from '../helpers/fault-scenario.js'
import { services, skipReasonFor } from '../helpers/services.js'

// Issue 7 item 5: under a steady load, the store's Redis connections are killed with
// `CLIENT KILL ID`, again and again. Only connections of this file are killed: each store
// client sets a name of its own (CLIENT SETNAME) and the killer picks ids by that name from
// `CLIENT LIST` on the shared server.

const admin = new Redis(services.redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
admin.on('error', () => {})
const skipReason = await skipReasonFor('Redis', services.redis, () => admin.connect())

const run = crypto.randomUUID().slice(0, 8)
const base = `test:faults:${run}:`
const closers: (() => Promise<unknown> | void)[] = []

afterAll(async () => {
  for (const close of closers.splice(0)) await close()
  if (skipReason === undefined) {
    let cursor = '0'
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await admin.unlink(...keys)
    } while (cursor !== '0')
  }
  admin.disconnect()
})

/** The ids of the connections named `name`, from `CLIENT LIST`. */
async function idsOfClientsNamed(name: string): Promise<string[]> {
  const list = String(await admin.client('LIST'))
  return list
    .split('\n')
    .filter((line) => line.split(' ').includes(`name=${name}`))
    .flatMap((line) => /(?:^| )id=(\d+)/.exec(line)?.[1] ?? [])
}

/** Kills each connection named `name`; resolves with how many it killed. */
async function killClientsNamed(name: string): Promise<number> {
  let killed = 0
  for (const id of await idsOfClientsNamed(name)) {
    // 0 when the connection was already gone between LIST and KILL.
    killed += Number(await admin.client('KILL', 'ID', id))
  }
  return killed
}

/**
 * The drivers as an application would create them, plus a client name. ioredis by default
 * reconnects and re-sends the commands that had no reply yet, and the store retries a command
 * that met a dead connection once, so a kill may fail no request at all. ioredis set to fail
 * fast (no offline queue, no re-sending) must fail some: `failsRequests`, so the failure path
 * is exercised whatever the store's retries hide.
 */
const drivers: {
  name: string
  failsRequests: boolean
  connect: (clientName: string) => Promise<RedisStoreClient>
}[] = [
  {
    name: 'ioredis',
    failsRequests: false,
    connect: (clientName) => ioredis({ connectionName: clientName }),
  },
  {
    name: 'ioredis failing fast',
    failsRequests: true,
    connect: (clientName) =>
      ioredis({
        connectionName: clientName,
        autoResendUnfulfilledCommands: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      }),
  },
  {
    name: 'node-redis',
    failsRequests: false,
    connect: async (clientName) => {
      const client = createClient({ url: services.redis, name: clientName })
      client.on('error', () => {})
      await client.connect()
      closers.push(() => (client.isOpen ? client.close() : undefined))
      return client
    },
  },
]

async function ioredis(options: Pick<RedisOptions, IoredisOption>): Promise<Redis> {
  const client = new Redis(services.redis, { ...options, lazyConnect: true })
  client.on('error', () => {}) // it reconnects by itself; the failed commands are the report
  closers.push(() => client.disconnect())
  await client.connect()
  return client
}

const STORE_TIMEOUT = 2_000

describe.skipIf(skipReason !== undefined)('Redis connections killed under load', () => {
  for (const driver of drivers) {
    it(`${driver.name}: failures are STORE_UNAVAILABLE in onError, no hang, no lost session, recovery`, async () => {
      const clientName = `typed-sessions-faults-${run}-${driver.name.replaceAll(' ', '-')}`
      const client = await driver.connect(clientName)
      const store = new RedisStore(client, { prefix: `${base}${driver.name}:` })
      const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
      await expectToSurviveFaults({
        store,
        request: (path, init) => Promise.resolve(app.request(path, init)),
        errors,
        inject: () => repeatedly(200, 2_000, () => killClientsNamed(clientName)),
        loadMs: 2_500,
        deadlineMs: STORE_TIMEOUT + 1_000,
        expectFailures: driver.failsRequests,
      })
    })
  }

  it('through a real HTTP server on loopback, too', async () => {
    const clientName = `typed-sessions-faults-${run}-http`
    const client = await drivers.find((each) => each.name === 'node-redis')!.connect(clientName)
    const store = new RedisStore(client, { prefix: `${base}http:` })
    const { app, errors } = faultApp(store, { storeTimeout: STORE_TIMEOUT })
    const server = await serveOnLoopback(app.fetch)
    closers.push(() => server.close())
    await expectToSurviveFaults({
      store,
      request: server.request,
      errors,
      inject: () => repeatedly(200, 2_000, () => killClientsNamed(clientName)),
      loadMs: 2_500,
      deadlineMs: STORE_TIMEOUT + 1_000,
    })
  })
})

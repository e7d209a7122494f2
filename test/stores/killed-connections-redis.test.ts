import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionStore } from '../../src/core/store.js'
import { RedisStore } from '../../src/stores/redis-store.js'
import { makeRecord } from '../helpers/store-conformance.js'
import {
  ownRedisSkipReason,
  startOwnRedisServer,
  type OwnRedisServer,
} from '../helpers/store-servers.js'

// A Redis connection that dies (CLIENT KILL, a failover) fails no request of its own. The server
// is this file's own, because the test pauses it (CLIENT PAUSE) to hold a command in flight.

const skipReason = await ownRedisSkipReason()
let server: OwnRedisServer
let admin: Redis
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  if (skipReason !== undefined) return
  server = await startOwnRedisServer()
  admin = new Redis(server.url)
})
afterAll(async () => {
  for (const close of closers) await close()
  admin?.disconnect()
  await server?.stop()
})

/** A store over a client of `driver` with its default reconnection, and the client's own id. */
async function storeOn(
  driver: string
): Promise<{ store: RedisStore; clientId: () => Promise<string> }> {
  const prefix = `${driver}:${crypto.randomUUID()}:`
  if (driver === 'ioredis') {
    const client = new Redis(server.url)
    closers.push(async () => client.disconnect())
    return {
      store: new RedisStore(client, { prefix }),
      clientId: async () => String(await client.call('CLIENT', 'ID')),
    }
  }
  const client = createClient({ url: server.url })
  client.on('error', () => {}) // the killed socket is reported here; the store sees the command fail
  await client.connect()
  closers.push(async () => client.destroy())
  return {
    store: new RedisStore(client, { prefix }),
    clientId: async () => String(await client.sendCommand(['CLIENT', 'ID'])),
  }
}

// Writes only: a pause that holds reads would hold the admin's CLIENT KILL too. A read on a
// killed connection is covered by the idle test (node-redis sends it on the dead socket).
const writes: [string, (store: SessionStore) => Promise<unknown>, unknown][] = [
  ['compare-and-set save', (store) => store.save(makeRecord('saved', { version: 1 }), 0), true],
  ['create', (store) => store.create(makeRecord('created')), true],
  ['delete', (store) => store.delete('deleted'), undefined],
]

for (const driver of ['ioredis', 'node-redis']) {
  describe.skipIf(skipReason !== undefined)(
    `RedisStore on ${driver} with a killed connection`,
    () => {
      it.each(writes)(
        'a %s whose connection is killed while the command is in flight succeeds',
        async (_, run, expected) => {
          const { store, clientId } = await storeOn(driver)
          for (const key of ['saved', 'deleted']) await store.create(makeRecord(key))
          const id = await clientId()

          // Paused for writes, the server holds the command unrun: it is surely in flight when
          // killed, and a killed client's held command is dropped, never run.
          await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE')
          let pending: Promise<unknown>
          try {
            pending = run(store)
            pending.catch(() => {}) // awaited below, once the server runs commands again
            await new Promise((resolve) => setTimeout(resolve, 100))
            expect(await admin.call('CLIENT', 'KILL', 'ID', id)).toBe(1)
          } finally {
            await admin.call('CLIENT', 'UNPAUSE')
          }
          expect(await pending).toStrictEqual(expected)
        }
      )

      it('an idle connection killed by the server: the next load works', async () => {
        const { store, clientId } = await storeOn(driver)
        const record = makeRecord('k', { token: 't' })
        await store.create(record)
        expect(await admin.call('CLIENT', 'KILL', 'ID', await clientId())).toBe(1)
        expect(await store.load('k')).toStrictEqual(record)
      })
    }
  )
}

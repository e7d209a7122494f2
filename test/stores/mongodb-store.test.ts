import { MongoClient, type CommandStartedEvent } from 'mongodb'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import {
  MONGO_TTL_INDEX,
  MongoStore,
  type MongoCollection,
} from '../../src/stores/mongodb-store.js'
import { CookieJar } from '../helpers/http.js'
import { skipReasonFor } from '../helpers/services.js'
import { counterApp } from '../helpers/store-apps.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

// No MongoDB-compatible server installs on this project's machines (README, MongoDB section):
// the tests that need one run wherever MONGODB_URL points at a server, and are skipped
// otherwise, in CI too. When MONGODB_URL is set, an unreachable server fails the run in CI.
const url = process.env.MONGODB_URL
const client = new MongoClient(url ?? 'mongodb://127.0.0.1:27017', {
  serverSelectionTimeoutMS: 2000,
  monitorCommands: true,
})
const skipReason =
  url === undefined
    ? 'MONGODB_URL is not set (no MongoDB server runs on this machine)'
    : await skipReasonFor('MongoDB', url, () => client.connect())
if (url === undefined)
  console.warn(`skipping the MongoDB store tests that need a server: ${skipReason}`)

const database = client.db(`typed_sessions_test`)
/** Collections this file run created, dropped after it. */
const created: string[] = []

afterAll(async () => {
  if (skipReason === undefined) {
    for (const name of created) await database.dropCollection(name).catch(() => undefined)
  }
  await client.close()
})

/** A fresh collection per test: no one else writes to it, so the suite counts exactly. */
async function setup() {
  const name = `sessions_${crypto.randomUUID()}`
  created.push(name)
  const store = new MongoStore(database.collection(name))
  await store.migrate()
  return { store }
}

/** A client pointed at a closed port, failing fast; closed after the file. */
const unreachableClients: MongoClient[] = []
afterAll(async () => {
  for (const down of unreachableClients) await down.close()
})
function unreachable() {
  const down = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 300 })
  unreachableClients.push(down)
  return new MongoStore(down.db('test').collection('sessions'))
}

describeStoreConformance('MongoStore', setup, {
  ...(skipReason === undefined ? {} : { skipReason }),
  isolated: true,
  unreachable,
})
describeConcurrency('MongoStore', setup, { skipReason })

describe.skipIf(skipReason !== undefined)('MongoStore on a server', () => {
  it('keeps each session as one document, _id the key, expiresAt a date under a TTL index', async () => {
    const { store } = await setup()
    const name = created.at(-1)!
    const record = makeRecord('layout', { token: 't' })
    await store.create(record)
    const stored = await database.collection(name).findOne({ _id: 'layout' as never })
    expect(stored?.['data']).toBe(JSON.stringify(record.data))
    expect(stored?.['expiresAt']).toStrictEqual(new Date(record.expiresAt))
    expect(stored?.['token']).toBe('t')
    const indexes = await database.collection(name).indexes()
    const ttl = indexes.find((index) => index.name === MONGO_TTL_INDEX)
    expect(ttl?.key).toStrictEqual({ expiresAt: 1 })
    expect(ttl?.expireAfterSeconds).toBe(0)
  })

  it('a returning visitor costs one command to read and one to write: find, update', async () => {
    const { store } = await setup()
    const jar = new CookieJar(counterApp(store))
    expect(await jar.text('/count')).toBe('0')
    expect(await jar.text('/count')).toBe('1')
    const commands: string[] = []
    const listener = (event: CommandStartedEvent) => commands.push(event.commandName)
    client.on('commandStarted', listener)
    expect(await jar.text('/count')).toBe('2')
    client.off('commandStarted', listener)
    expect(commands).toStrictEqual(['find', 'update'])
  })

  it('load throws INVALID_STORED_DATA for a document it cannot decode, and scan skips it', async () => {
    const { store } = await setup()
    const name = created.at(-1)!
    await store.create(makeRecord('good'))
    await store.create(makeRecord('corrupt'))
    await database
      .collection(name)
      .updateOne({ _id: 'corrupt' as never }, { $set: { data: '{"trunc' } })
    await expect(store.load('corrupt')).rejects.toSatisfy(
      (error) => isSessionError(error) && error.code === 'INVALID_STORED_DATA'
    )
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['good'])
  })
})

describe('MongoStore without a server', () => {
  it('takes a driver collection as it is, and refuses anything else with CONFIG', () => {
    expect(new MongoStore(database.collection('sessions'))).toBeInstanceOf(MongoStore)
    expect(() => new MongoStore({} as MongoCollection)).toThrow(
      expect.toSatisfy((error) => isSessionError(error) && error.code === 'CONFIG')
    )
  })

  it('an unreachable server fails every operation with STORE_UNAVAILABLE and the driver error', async () => {
    const down = unreachable()
    const record = makeRecord('down')
    const scanAll = async () => {
      for await (const _ of down.scan()) void _
    }
    const operations: [string, () => Promise<unknown>][] = [
      ['migrate', () => down.migrate()],
      ['create', () => down.create(record)],
      ['load', () => down.load(record.key)],
      ['save', () => down.save(record, 0)],
      ['delete', () => down.delete(record.key)],
      ['scan', scanAll],
    ]
    for (const [operation, run] of operations) {
      const error = await run().then(
        () => new Error(`${operation} succeeded against an unreachable server`),
        (e: unknown) => e
      )
      expect(isSessionError(error) && error.code, operation).toBe('STORE_UNAVAILABLE')
      expect((error as Error).cause, operation).toBeInstanceOf(Error)
    }
  })
})

import { MongoClient, type CommandStartedEvent, type Document } from 'mongodb'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import {
  MONGO_OWNER_INDEX,
  MONGO_TTL_INDEX,
  MongoStore,
  type MongoCollection,
} from '../../src/stores/mongodb-store.js'
import { CookieJar } from '../helpers/http.js'
import { expectPreviousSessionCarriedOver } from '../helpers/previous-release.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { skipReasonFor } from '../helpers/services.js'
import { boundCounterApp, counterApp } from '../helpers/store-apps.js'
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

// The owner-index cases may wait for MongoDB's TTL monitor, which runs once a minute.
vi.setConfig({ testTimeout: 180_000 })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A fresh collection per test: no one else writes to it, so the suite counts exactly. Its owner
 * index entries are the owner's documents (the sparse `owner` index holds exactly those), once
 * MongoDB's TTL monitor has deleted the expired ones; its reads are the documents MongoDB's own
 * `explain` says the store's `find`s examined.
 */
async function setup() {
  const name = `sessions_${crypto.randomUUID()}`
  created.push(name)
  const collection = database.collection(name)
  const store = new MongoStore(collection)
  await store.migrate()
  const ownerIndexEntries = async (owner: string) => {
    for (const deadline = Date.now() + 150_000; Date.now() < deadline; await sleep(1000)) {
      const expired = { owner, expiresAt: { $lte: new Date() } }
      if ((await collection.countDocuments(expired)) === 0) break
    }
    return collection.countDocuments({ owner }, { hint: MONGO_OWNER_INDEX })
  }
  return { store, ownerIndexEntries, readCost }
}

/** The documents MongoDB examined for the `find`s `run` sent, by `explain`. */
async function readCost(run: () => Promise<unknown>): Promise<number> {
  const finds: Document[] = []
  const listener = (event: CommandStartedEvent) => {
    if (event.commandName === 'find') finds.push(event.command)
  }
  client.on('commandStarted', listener)
  try {
    await run()
  } finally {
    client.off('commandStarted', listener)
  }
  let examined = 0
  for (const { find, filter, hint } of finds) {
    const explained = await database.command({
      explain: { find, filter, ...(hint === undefined ? {} : { hint }) },
      verbosity: 'executionStats',
    })
    examined += (explained['executionStats'] as { totalDocsExamined: number }).totalDocsExamined
  }
  return examined
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
describePerUserConcurrency('MongoStore', setup, { skipReason })

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

  it('a returning visitor costs one command to read and one to write, bound to a user or not: find, update', async () => {
    const { store } = await setup()
    const unbound = new CookieJar(counterApp(store))
    const bound = new CookieJar(boundCounterApp(store))
    for (const jar of [unbound, bound]) expect(await jar.text('/count')).toBe('0')
    await bound.fetch('/login/ada', { method: 'POST' })
    for (const jar of [unbound, bound]) {
      expect(await jar.text('/count')).toBe('1')
      const commands: string[] = []
      const listener = (event: CommandStartedEvent) => commands.push(event.commandName)
      client.on('commandStarted', listener)
      expect(await jar.text('/count')).toBe('2')
      client.off('commandStarted', listener)
      expect(commands).toStrictEqual(['find', 'update'])
    }
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

describe.skipIf(skipReason !== undefined)('MongoStore owner index on a server', () => {
  const ada = ownerKeyOf('ada')
  const previousRelease = async () => {
    const name = `sessions_${crypto.randomUUID()}`
    created.push(name)
    const collection = database.collection(name)
    // What the previous release's migrate made: the TTL index alone.
    await collection.createIndex({ expiresAt: 1 }, { name: MONGO_TTL_INDEX, expireAfterSeconds: 0 })
    return { collection, store: new MongoStore(collection) }
  }
  const ownerIndexOf = async (collection: ReturnType<typeof database.collection>) =>
    (await collection.indexes()).find((index) => index.name === MONGO_OWNER_INDEX)

  it('keeps the owner key as a field, under a sparse index, gone when a save unbinds it', async () => {
    const { store } = await setup()
    const collection = database.collection(created.at(-1)!)
    const record = makeRecord('bound', { owner: ada })
    await store.create(record)
    expect((await collection.findOne({ _id: 'bound' as never }))?.['owner']).toBe(ada)
    const index = await ownerIndexOf(collection)
    expect(index?.key).toStrictEqual({ owner: 1 })
    expect(index?.sparse).toBe(true)
    const unbound = { ...record, version: 1 }
    delete unbound.owner
    expect(await store.save(unbound, 0)).toBe(true)
    expect(await collection.findOne({ _id: 'bound' as never })).not.toHaveProperty('owner')
  })

  it('a collection of the previous release, with its sessions, is migrated, serves them on and binds them', async () => {
    const { collection, store } = await previousRelease()
    await expectPreviousSessionCarriedOver(
      store,
      async (key, { expiresAt, ...session }) => {
        const document = { ...session, expiresAt: new Date(expiresAt) }
        await collection.replaceOne({ _id: key as never }, document)
      },
      async () => {
        await store.migrate()
        expect(await ownerIndexOf(collection)).toBeDefined()
      }
    )
  })

  it('the first listing on a collection the previous release migrated creates the owner index, and reads through it', async () => {
    const { collection, store } = await previousRelease()
    for (let i = 0; i < 50; i++)
      await store.create(makeRecord(`k${i}`, i < 2 ? { owner: ada } : {}))
    expect(await ownerIndexOf(collection)).toBeUndefined()
    const keys = (await store.listOwner(ada)).map((record) => record.key).sort()
    expect(keys).toStrictEqual(['k0', 'k1'])
    expect(await ownerIndexOf(collection)).toBeDefined()
    expect(await readCost(() => store.listOwner(ada))).toBe(2)
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
      ['listOwner', () => down.listOwner(ownerKeyOf('ada'))],
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

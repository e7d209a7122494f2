import { DeleteTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { DynamoDbStore } from '../../src/stores/dynamodb-store.js'
import {
  deleteExpiredItems,
  dynamoDbClient,
  itemsRead,
  startDynalite,
} from '../helpers/dynalite.js'
import { OWNER_ENTRY_PREFIX, ownerItemKey } from '../../src/stores/dynamodb-owners.js'
import { recordKeyOf } from '../../src/core/session-id.js'
import { CookieJar } from '../helpers/http.js'
import { idOfCookie } from '../helpers/stores.js'
import { counterApp } from '../helpers/store-apps.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

// dynalite: a DynamoDB implementation from the npm registry, started here in this process.
const dynamo = await startDynalite()
// dynalite and the AWS SDK cost milliseconds per call: the suite's 10,000-record scan needs longer.
vi.setConfig({ testTimeout: 120_000 })
const client = dynamo.client()
afterAll(() => dynamo.stop())

const readCost = itemsRead(client)

/**
 * A fresh table per test: no one else writes to it, so the suite counts exactly. Its owner
 * index entries are counted as they stand in the owner's item, after what DynamoDB's TTL would
 * have done by then (dynalite has none) and, when the TTL deleted records, after the listing
 * that removes what is left of their entries (the store's own cleanup).
 */
async function setup() {
  const tableName = `sessions-${crypto.randomUUID()}`
  const store = new DynamoDbStore(client, { tableName })
  await store.createTable({ timeToLive: false })
  const ownerIndexEntries = async (owner: string) => {
    if ((await deleteExpiredItems(client, tableName)) > 0) await store.listOwner(owner)
    return ownerEntriesOf(tableName, owner)
  }
  return { store, cleanup: () => dropTable(tableName), ownerIndexEntries, readCost }
}

/** The entries the owner's item holds, read raw. */
async function ownerEntriesOf(TableName: string, owner: string): Promise<number> {
  const { Item = {} } = await client.send(
    new GetItemCommand({
      TableName,
      Key: { key: { S: ownerItemKey(owner) } },
      ConsistentRead: true,
    })
  )
  return Object.keys(Item).filter((name) => name.startsWith(OWNER_ENTRY_PREFIX)).length
}

async function dropTable(TableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName }))
}

/** A store whose endpoint is a closed port. */
const unreachable = () =>
  new DynamoDbStore(dynamoDbClient('http://127.0.0.1:1', 1), { tableName: 'sessions' })

describeStoreConformance('DynamoDbStore', setup, { isolated: true, unreachable })
describeConcurrency('DynamoDbStore', setup)
describePerUserConcurrency('DynamoDbStore', setup)

describe('DynamoDbStore on dynalite', () => {
  const isCode = (code: string) => (error: unknown) => isSessionError(error) && error.code === code

  /** A store on a fresh table, the table dropped after the file. */
  async function freshStore(options: { ttlAttribute?: string } = {}) {
    const tableName = `sessions-${crypto.randomUUID()}`
    const store = new DynamoDbStore(client, { tableName, ...options })
    await store.createTable({ timeToLive: false })
    return { store, tableName }
  }

  const rawItem = async (TableName: string, key: string) =>
    (await client.send(new GetItemCommand({ TableName, Key: { key: { S: key } } }))).Item

  it('keeps each record as one item: partition key `key`, data as JSON text, a TTL in seconds', async () => {
    const { store, tableName } = await freshStore()
    const record = makeRecord('layout', {
      expiresAt: 1_900_000_000_123,
      expiry: { kind: 'onInactivity', seconds: 60 },
      token: 't1',
    })
    await store.create(record)
    const item = await rawItem(tableName, 'layout')
    expect(item?.['data']?.S).toBe(JSON.stringify(record.data))
    expect(item?.['version']?.N).toBe('0')
    expect(item?.['expiresAt']?.N).toBe('1900000000123')
    expect(item?.['ttl']?.N).toBe('1900000001')
    expect(item?.['token']?.S).toBe('t1')
    await dropTable(tableName)
  })

  it('moves the TTL attribute on every save, under the name ttlAttribute gives', async () => {
    const { store, tableName } = await freshStore({ ttlAttribute: 'expiresAtSeconds' })
    const record = makeRecord('ttl', { expiresAt: 1_900_000_000_000 })
    await store.create(record)
    expect(await store.save({ ...record, version: 1, expiresAt: 1_900_000_500_000 }, 0)).toBe(true)
    const item = await rawItem(tableName, 'ttl')
    expect(item?.['expiresAtSeconds']?.N).toBe('1900000500')
    expect(item?.['ttl']).toBeUndefined()
    await dropTable(tableName)
  })

  it('stores large data gzip-compressed and reads it back', async () => {
    const { store, tableName } = await freshStore()
    const record = makeRecord('large', { data: { text: 'session '.repeat(2000) } })
    await store.create(record)
    const item = await rawItem(tableName, 'large')
    expect(item?.['data']).toBeUndefined()
    expect(item?.['dataGzip']?.B?.byteLength).toBeLessThan(2000)
    expect(await store.load('large')).toStrictEqual(record)
    await dropTable(tableName)
  })

  it('refuses a record over 400 KB even compressed with INVALID_VALUE, and keeps the old one', async () => {
    const { store, tableName } = await freshStore()
    const record = makeRecord('too-large')
    await store.create(record)
    // Random bytes as base64: 800 KB that gzip cannot shrink below 400 KB.
    const noise = Array.from({ length: 10 }, () =>
      Buffer.from(crypto.getRandomValues(new Uint8Array(60_000))).toString('base64')
    ).join('')
    const huge = { ...record, data: { noise }, version: 1 }
    await expect(store.save(huge, 0)).rejects.toSatisfy(isCode('INVALID_VALUE'))
    expect(await store.load('too-large')).toStrictEqual(record)
    await dropTable(tableName)
  })

  it('load throws INVALID_STORED_DATA for an item it cannot decode, and scan skips it', async () => {
    const { store, tableName } = await freshStore()
    await store.create(makeRecord('good'))
    await store.create(makeRecord('corrupt'))
    const item = await rawItem(tableName, 'corrupt')
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { ...item, data: { S: '{"trunc' } } })
    )
    await expect(store.load('corrupt')).rejects.toSatisfy(isCode('INVALID_STORED_DATA'))
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['good'])
    await dropTable(tableName)
  })

  it('an item holding a number beyond 2^53 (which a compare-and-set could never match) is invalid stored data', async () => {
    const { store, tableName } = await freshStore()
    await store.create(makeRecord('good'))
    for (const attribute of ['version', 'createdAt', 'expiresAt', 'schemaVersion']) {
      await store.create(makeRecord(attribute))
      const item = await rawItem(tableName, attribute)
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...item, [attribute]: { N: '90071992547409930' } },
        })
      )
      await expect(store.load(attribute), attribute).rejects.toSatisfy(
        isCode('INVALID_STORED_DATA')
      )
    }
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['good'])
    await dropTable(tableName)
  })

  it('a session whose item cannot be decoded starts over empty through the middleware, never a 5xx', async () => {
    const { store, tableName } = await freshStore()
    const jar = new CookieJar(counterApp(store))
    expect(await jar.text('/count')).toBe('0')
    expect(await jar.text('/count')).toBe('1')
    const key = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
    const item = await rawItem(tableName, key)
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { ...item, data: { S: '[1,' } } })
    )
    const response = await jar.fetch('/count')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('0')
    await dropTable(tableName)
  })

  it('createTable is idempotent, and says so when the endpoint cannot enable TTL', async () => {
    const { store, tableName } = await freshStore()
    await store.create(makeRecord('kept'))
    await expect(store.createTable({ timeToLive: false })).resolves.toBeUndefined()
    expect(await store.load('kept')).toBeDefined()
    // dynalite has no UpdateTimeToLive; AWS has.
    await expect(store.createTable()).rejects.toSatisfy(isCode('UNSUPPORTED'))
    await dropTable(tableName)
  })

  it('a returning visitor costs one round trip to read and one to write: GetItem, UpdateItem', async () => {
    const { store, tableName } = await freshStore()
    const jar = new CookieJar(counterApp(store))
    expect(await jar.text('/count')).toBe('0')
    expect(await jar.text('/count')).toBe('1')
    dynamo.operations.length = 0
    expect(await jar.text('/count')).toBe('2')
    expect(dynamo.operations).toStrictEqual(['GetItem', 'UpdateItem'])
    await dropTable(tableName)
  })

  it('rejects a missing table name, a ttlAttribute the record uses, and a non-client', () => {
    const config = isCode('CONFIG')
    const noOptions = undefined as unknown as { tableName: string }
    expect(() => new DynamoDbStore(client, noOptions)).toThrow(expect.toSatisfy(config))
    expect(() => new DynamoDbStore(client, { tableName: 'a b' })).toThrow(expect.toSatisfy(config))
    expect(
      () => new DynamoDbStore(client, { tableName: 'ok-name', ttlAttribute: 'version' })
    ).toThrow(expect.toSatisfy(config))
    expect(() => new DynamoDbStore({} as typeof client, { tableName: 'ok-name' })).toThrow(
      expect.toSatisfy(config)
    )
  })
})

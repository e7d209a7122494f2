import { gzipSync } from 'node:zlib'
import { DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { recordKeyOf } from '../../src/core/session-id.js'
import { DynamoDbStore } from '../../src/stores/dynamodb-store.js'
import { startDynalite } from '../helpers/dynalite.js'
import { CookieJar } from '../helpers/http.js'
import { counterApp } from '../helpers/store-apps.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { idOfCookie } from '../helpers/stores.js'

// DynamoDbStore keeps data over 4 KB gzip-compressed. What it inflates is bounded by the session
// size limit: a stored value that would inflate past it (a gzip bomb: 64 MiB in 64 KB) is
// invalid stored data, read no further, and never a whole inflated copy in memory.

const dynamo = await startDynalite()
const client = dynamo.client()
afterAll(() => dynamo.stop())

const MiB = 1024 * 1024
const tables: string[] = []
afterAll(async () => {
  for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName }))
})

async function freshStore(maxSize?: number) {
  const tableName = `inflate-${crypto.randomUUID()}`
  tables.push(tableName)
  const store = new DynamoDbStore(client, {
    tableName,
    ...(maxSize === undefined ? {} : { maxSize }),
  })
  await store.createTable({ timeToLive: false })
  return { store, tableName }
}

/** Writes the item of `key` as the store would, its data the gzip of `json`. */
async function putCompressed(tableName: string, key: string, json: Buffer) {
  const now = Date.now()
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        key: { S: key },
        version: { N: '0' },
        expiresAt: { N: String(now + 3_600_000) },
        createdAt: { N: String(now) },
        schemaVersion: { N: '1' },
        dataGzip: { B: gzipSync(json) },
      },
    })
  )
}

/** The JSON of `{"text": "<n zeros>"}`, as bytes. */
const zerosJson = (n: number) =>
  Buffer.concat([Buffer.from('{"text":"'), Buffer.alloc(n, '0'), Buffer.from('"}')])

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isSessionError(error) ? error.code : error)
  )

describe('DynamoDbStore inflates compressed data only up to the session size limit', () => {
  it('a value that inflates past 1 MiB (the default maxSize) loads as INVALID_STORED_DATA, and scan skips it', async () => {
    const { store, tableName } = await freshStore()
    expect(store.maxRecordSize).toBe(MiB)
    const fits = makeRecord('fits', { data: { text: '0'.repeat(MiB - 20) } })
    expect(await store.create(fits)).toBe(true)
    await putCompressed(tableName, 'bomb', zerosJson(64 * MiB))
    await putCompressed(tableName, 'just-over', zerosJson(MiB - 11 + 1))

    expect(await codeOf(store.load('bomb'))).toBe('INVALID_STORED_DATA')
    expect(await codeOf(store.load('just-over'))).toBe('INVALID_STORED_DATA')
    expect(await store.load('fits')).toStrictEqual(fits)
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['fits'])
  })

  it('a session whose stored data is a gzip bomb starts over empty through the middleware, never a 5xx', async () => {
    const { store, tableName } = await freshStore()
    const jar = new CookieJar(counterApp(store))
    expect(await jar.text('/count')).toBe('0')
    const key = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
    await putCompressed(tableName, key, zerosJson(64 * MiB))
    const response = await jar.fetch('/count')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('0')
  })

  it('maxSize bounds what the store inflates and what it writes, and is its maxRecordSize', async () => {
    const { store, tableName } = await freshStore(64 * 1024)
    expect(store.maxRecordSize).toBe(64 * 1024)
    const small = makeRecord('small', { data: { text: '0'.repeat(60_000) } })
    expect(await store.create(small)).toBe(true)
    expect(await store.load('small')).toStrictEqual(small)
    // What it could not read back, it does not write.
    const large = makeRecord('large', { data: { text: '0'.repeat(70_000) } })
    expect(await codeOf(store.create(large))).toBe('INVALID_VALUE')
    expect(await codeOf(store.save({ ...small, data: large.data, version: 1 }, 0))).toBe(
      'INVALID_VALUE'
    )
    expect(await store.load('small')).toStrictEqual(small)
    await putCompressed(tableName, 'large', zerosJson(70_000))
    expect(await codeOf(store.load('large'))).toBe('INVALID_STORED_DATA')
  })

  it('refuses a maxSize that is not a whole number of bytes >= 1 with CONFIG', () => {
    for (const maxSize of [0, -1, 1.5, Number.NaN, '1mb']) {
      const make = () =>
        new DynamoDbStore(client, { tableName: 'sessions', maxSize: maxSize as number })
      expect(make, String(maxSize)).toThrow(
        expect.toSatisfy((e: unknown) => isSessionError(e) && e.code === 'CONFIG')
      )
    }
  })
})

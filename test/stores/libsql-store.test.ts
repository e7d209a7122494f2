import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createClient, type Client, type Config } from '@libsql/client'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { LibsqlStore, type LibsqlClient, type LibsqlValue } from '../../src/stores/libsql-store.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import type { StoreUnderTest } from '../helpers/store-conformance.js'
import {
  expectBoundRowsSweptInBatches,
  expectReturningVisitorStatements,
  expectScanReturnsOwners,
  type SweepProbe,
} from '../helpers/sql-owner-rows.js'
import { StatementLog, sqliteOwnerIndexHooks } from '../helpers/sql-read-cost.js'

const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-libsql-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
/** A client on a new local database file in this file's temp dir. */
const newClient = (config: Partial<Config> = {}): Client =>
  createClient({ url: pathToFileURL(join(dir, `sessions-${++files}.db`)).href, ...config })

/** A migrated store on its own new database: what every conformance test starts from. */
async function setup(): Promise<
  StoreUnderTest & SweepProbe & { client: Client; store: LibsqlStore }
> {
  // One connection, so its PRAGMAs hold for every statement: WAL and no fsync per commit, as a
  // local deployment would configure it. (The pool's connections would each open with defaults.)
  const client = newClient({ concurrency: 1 })
  await client.execute('PRAGMA journal_mode = WAL')
  await client.execute('PRAGMA synchronous = NORMAL')
  const log = new StatementLog()
  const logged: LibsqlClient = {
    execute: (statement) => (log.sent(statement.sql, statement.args), client.execute(statement)),
  }
  const store = new LibsqlStore(logged)
  await store.migrate()
  const query = async (sql: string, args: readonly unknown[]) =>
    Array.from((await client.execute({ sql, args: args as LibsqlValue[] })).rows)
  return {
    client,
    store,
    log,
    ...sqliteOwnerIndexHooks('sessions', query, log),
    cleanup: async () => client.close(),
  }
}

/** The `SessionError` code `promise` rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => new Error('the operation succeeded'),
    (e: unknown) => e
  )
  return isSessionError(error) ? error.code : error
}

describeConcurrency('LibsqlStore', setup)

describePerUserConcurrency('LibsqlStore', setup)

describeStoreConformance('LibsqlStore', setup, {
  isolated: true,
  // What a Turso URL whose server is down looks like to the client: a refused HTTP connection.
  unreachable: () => new LibsqlStore(createClient({ url: 'http://127.0.0.1:1' })),
})

describe('LibsqlStore options', () => {
  it('rejects a table name that is not a plain identifier, and a non-client, with CONFIG', () => {
    const client = newClient()
    for (const tableName of ['sessions; DROP TABLE x', 'a"b', '', '1sessions']) {
      expect(() => new LibsqlStore(client, { tableName })).toThrow(
        expect.objectContaining({ name: 'SessionError', code: 'CONFIG' })
      )
    }
    expect(() => new LibsqlStore({} as LibsqlClient)).toThrow(
      expect.objectContaining({ code: 'CONFIG' })
    )
    client.close()
  })

  it('keeps stores with different table names apart, also one named after a keyword', async () => {
    const client = newClient()
    const first = new LibsqlStore(client, { tableName: 'order' })
    const second = new LibsqlStore(client, { tableName: 'web_sessions' })
    await first.migrate()
    await second.migrate()
    const record = makeRecord('k')
    expect(await first.create(record)).toBe(true)
    expect(await second.load('k')).toBeUndefined()
    expect(await first.load('k')).toStrictEqual(record)
    client.close()
  })

  it('returns numbers whatever the client intMode (bigint, string)', async () => {
    for (const intMode of ['bigint', 'string'] as const) {
      const client = newClient({ intMode })
      const store = new LibsqlStore(client)
      await store.migrate()
      const record = makeRecord('k', { version: 3, schemaVersion: 2, token: 't' })
      await store.create(record)
      expect(await store.load('k')).toStrictEqual(record)
      client.close()
    }
  })
})

describe('LibsqlStore migrate', () => {
  it('creates exactly the table and indexes of schemas/libsql.sql, and is harmless twice', async () => {
    const { client: migrated, store } = await setup()
    const fromFile = newClient()
    await fromFile.executeMultiple(
      readFileSync(new URL('../../schemas/libsql.sql', import.meta.url), 'utf8')
    )
    const schemaOf = async (client: Client) =>
      (
        await client.execute(
          "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        )
      ).rows.map((row) => ({
        name: row['name'],
        type: row['type'],
        tbl_name: row['tbl_name'],
        sql: String(row['sql']).replace(/\s+/g, ' '),
      }))
    const columnsOf = async (client: Client) =>
      (await client.execute('PRAGMA table_info("sessions")')).rows.map((row) => ({ ...row }))
    expect(await schemaOf(migrated)).toStrictEqual(await schemaOf(fromFile))
    expect(await columnsOf(migrated)).toStrictEqual(await columnsOf(fromFile))
    expect((await columnsOf(migrated)).map((column) => column['name'])).toContain('token')
    expect((await schemaOf(migrated)).map((entry) => entry.name)).toStrictEqual([
      'sessions',
      'sessions_expires_at',
      'sessions_owner',
    ])

    const record = makeRecord('k')
    await store.create(record)
    await store.migrate()
    expect(await store.load('k')).toStrictEqual(record)
    migrated.close()
    fromFile.close()
  })
})

describe('LibsqlStore stored data and expiry', () => {
  it('answers load of a row it cannot decode with INVALID_STORED_DATA, and scan skips it', async () => {
    const { client, store } = await setup()
    await store.create(makeRecord('good'))
    await store.create(makeRecord('bad'))
    await client.execute("UPDATE sessions SET data = '{truncated' WHERE key = 'bad'")

    expect(await codeOf(store.load('bad'))).toBe('INVALID_STORED_DATA')
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['good'])
    client.close()
  })

  it('deleteExpired deletes more rows than one batch and leaves live ones', async () => {
    const { client, store } = await setup()
    const past = Date.now() - 1000
    await client.batch(
      Array.from({ length: 2500 }, (_, i) => ({
        sql: 'INSERT INTO sessions (key, created_at, expires_at, version, schema_version, data) VALUES (?, 0, ?, 0, 0, ?)',
        args: [`expired-${i}`, past, '{}'],
      })),
      'write'
    )
    for (let i = 0; i < 10; i++) await store.create(makeRecord(`live-${i}`))
    expect(await store.deleteExpired()).toBe(2500)
    expect((await client.execute('SELECT count(*) AS n FROM sessions')).rows[0]?.['n']).toBe(10)
    expect(await store.deleteExpired()).toBe(0)
    client.close()
  })

  it('deleteExpired deletes bound rows 1000 per statement, and their owner index entries', async () => {
    const { client, store, ...probe } = await setup()
    await expectBoundRowsSweptInBatches(store, probe, 1000)
    client.close()
  })

  it('scan returns each record with its owner', async () => {
    const { client, store } = await setup()
    await expectScanReturnsOwners(store)
    client.close()
  })

  it('fails every operation on a closed client with STORE_UNAVAILABLE', async () => {
    const { client, store } = await setup()
    client.close()
    const scanAll = async () => {
      for await (const _ of store.scan()) void _
    }
    for (const run of [
      () => store.migrate(),
      () => store.create(makeRecord('k')),
      () => store.load('k'),
      () => store.save(makeRecord('k')),
      () => store.delete('k'),
      () => store.deleteExpired(),
      scanAll,
    ]) {
      expect(await codeOf(run())).toBe('STORE_UNAVAILABLE')
    }
  })
})

describe('LibsqlStore with a pool of connections to one file', () => {
  it('of 50 concurrent compare-and-set saves of one version exactly one wins', async () => {
    const client = newClient({ concurrency: 8 })
    await client.execute('PRAGMA journal_mode = WAL')
    const store = new LibsqlStore(client)
    await store.migrate()
    for (let round = 0; round < 5; round++) {
      const record = makeRecord(`race-${round}`)
      await store.create(record)
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, writer) =>
          store.save({ ...record, data: { writer }, version: 1 }, 0)
        )
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      expect((await store.load(record.key))?.data).toStrictEqual({ writer: results.indexOf(true) })
    }
    client.close()
  })
})

describe('LibsqlStore round trips', () => {
  it('serves a returning visitor, logged in or not, with two statements: one SELECT and one conditional UPDATE', async () => {
    const { client, store, log } = await setup()
    await expectReturningVisitorStatements(store, log)
    client.close()
  })
})

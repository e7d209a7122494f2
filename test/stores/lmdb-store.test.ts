import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open, type RootDatabase } from 'lmdb'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerIndexEntriesOf } from '../../src/stores/lmdb-owner-index.js'
import { LmdbStore, type LmdbDatabase } from '../../src/stores/lmdb-store.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { countedLmdb } from '../helpers/lmdb.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { backendCallsPerReturningRequest } from '../helpers/round-trips.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import type { StoreUnderTest } from '../helpers/store-conformance.js'
import { runInProcesses } from '../helpers/store-processes.js'

const root = mkdtempSync(join(tmpdir(), 'typed-sessions-lmdb-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let files = 0
/** A new database file path under this file's temp root. */
const newPath = () => join(root, `sessions-${++files}.mdb`)

const openDatabase = (path = newPath()): RootDatabase => open({ path, useVersions: true })

/** A store on its own new database file: what every conformance test starts from. */
function setup(): StoreUnderTest & { db: RootDatabase; store: LmdbStore; path: string } {
  const path = newPath()
  const db = openDatabase(path)
  const { counted, readCost } = countedLmdb(db)
  return {
    db,
    path,
    store: new LmdbStore(counted),
    cleanup: () => db.close(),
    ownerIndexEntries: async (owner) => ownerIndexEntriesOf(db, owner),
    readCost,
    copyStoredValue: async (from, to) => {
      const entry = db.getEntry(from)
      if (entry === undefined) throw new Error(`no entry ${from} to copy`)
      await db.put(to, entry.value as string, entry.version ?? 0)
    },
  }
}

/** The `SessionError` code `promise` rejects with, or what it resolved to. */
async function outcomeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => (isSessionError(error) ? error.code : error)
  )
}

describeConcurrency('LmdbStore', setup)
describePerUserConcurrency('LmdbStore', setup)

describeStoreConformance('LmdbStore', setup, {
  isolated: true,
  // The embedded engine's "server down": a database that was closed under the store.
  unreachable: async () => {
    const db = openDatabase()
    await db.close()
    return new LmdbStore(db)
  },
})

describe('LmdbStore options and layout', () => {
  it('rejects a non-database, and a database without useVersions, with CONFIG', async () => {
    const plain = open({ path: newPath() })
    for (const db of [{}, plain]) {
      expect(() => new LmdbStore(db as LmdbDatabase)).toThrow(
        expect.objectContaining({ name: 'SessionError', code: 'CONFIG' })
      )
    }
    await plain.close()
  })

  it('keeps each record as one entry: the record key, a JSON string, and the version as LMDB version', async () => {
    const { db, store } = setup()
    const record = makeRecord('layout', { token: 't' })
    await store.create(record)
    await store.save({ ...record, version: 1 }, 0)
    const entry = db.getEntry('layout')
    expect(entry?.version).toBe(1)
    expect(JSON.parse(entry?.value as string)).toStrictEqual({
      key: 'layout',
      expiresAt: record.expiresAt,
      createdAt: record.createdAt,
      schemaVersion: 0,
      token: 't',
      data: record.data,
    })
    await db.close()
  })

  it('works on a named database inside a shared environment', async () => {
    const env = open({ path: newPath() })
    const store = new LmdbStore(env.openDB({ name: 'sessions', useVersions: true }))
    const record = makeRecord('k')
    await env.put('k', 'the application’s own value')
    expect(await store.create(record)).toBe(true)
    expect(await store.load('k')).toStrictEqual(record)
    expect(env.get('k')).toBe('the application’s own value')
    await env.close()
  })
})

describe('LmdbStore stored data', () => {
  it('answers an entry it cannot decode: load INVALID_STORED_DATA, scan skips it, create false', async () => {
    const { db, store } = setup()
    await store.create(makeRecord('good'))
    await db.put('bad', '{"truncated', 0)
    await db.put('object', { not: 'a JSON string' }, 0)

    expect(await outcomeOf(store.load('bad'))).toBe('INVALID_STORED_DATA')
    expect(await outcomeOf(store.load('object'))).toBe('INVALID_STORED_DATA')
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['good'])
    expect(await store.create(makeRecord('bad'))).toBe(false)
    expect(await store.save(makeRecord('bad', { version: 1 }), 0)).toBe(false)
    await db.close()
  })

  it('deleteExpired removes expired entries over several pages and keeps live ones', async () => {
    const { db, store } = setup()
    const now = Date.now()
    await Promise.all(
      Array.from({ length: 2500 }, (_, i) =>
        store.save(makeRecord(`old-${i}`, { expiresAt: now - 1 }))
      )
    )
    await store.create(makeRecord('live'))
    expect(await store.deleteExpired()).toBe(2500)
    expect(Array.from(db.getKeys())).toStrictEqual(['live'])
    await db.close()
  })
})

describe('LmdbStore with two processes on one file', () => {
  it('loses no increment when both update one session with compare-and-set', async () => {
    const { db, path, store } = setup()
    await store.create(makeRecord('shared', { data: { count: 0 } }))
    await runInProcesses('lmdb', path, [
      { task: 'increment', keys: ['shared'], increments: 300 },
      { task: 'increment', keys: ['shared'], increments: 300 },
    ])
    const loaded = await store.load('shared')
    expect(loaded?.data).toStrictEqual({ count: 600 })
    expect(loaded?.version).toBe(600)
    await db.close()
  })

  it('of creates and compare-and-set saves of one key from both processes, exactly one wins', async () => {
    const { db, path, store } = setup()
    const keys = Array.from({ length: 300 }, (_, i) => `race-${i}`)
    for (const key of keys) await store.create(makeRecord(key))
    const fresh = Array.from({ length: 300 }, (_, i) => `fresh-${i}`)
    const [first = [], second = []] = await runInProcesses('lmdb', path, [
      { task: 'compare-and-set', keys },
      { task: 'compare-and-set', keys },
    ])
    const [createdFirst = [], createdSecond = []] = await runInProcesses('lmdb', path, [
      { task: 'create', keys: fresh },
      { task: 'create', keys: fresh },
    ])
    for (const [i, key] of keys.entries()) {
      const won = [first[i], second[i]]
      expect(
        won.filter((result) => result === true),
        key
      ).toHaveLength(1)
      expect((await store.load(key))?.data).toStrictEqual({ writer: won.indexOf(true) })
    }
    for (const [i, key] of fresh.entries()) {
      const won = [createdFirst[i], createdSecond[i]]
      expect(
        won.filter((result) => result === true),
        key
      ).toHaveLength(1)
      expect((await store.load(key))?.data).toStrictEqual({ writer: won.indexOf(true) })
    }
    await db.close()
  })
})

describe('LmdbStore round trips', () => {
  it('serves a returning visitor with two local reads and one conditional put', async () => {
    const { db } = setup()
    const { counted, calls } = countedLmdb(db)
    const { perRequest, counter } = await backendCallsPerReturningRequest(
      new LmdbStore(counted),
      () => calls.length
    )
    expect(counter).toBe('11')
    expect(perRequest).toBe(3)
    expect(calls.slice(-3)).toStrictEqual(['getEntry', 'getEntry', 'put'])
    await db.close()
  })
})

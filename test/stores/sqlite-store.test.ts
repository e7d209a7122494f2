import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionRecord } from '../../src/core/store.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import type { SqliteDatabase, SqliteStoreOptions } from '../../src/stores/sqlite-store.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
/** A new database file in this file's temp dir. */
const newFile = () => join(dir, `sessions-${++files}.sqlite`)

/** A connection configured as a multi-process deployment would be. */
function openDatabase(file = newFile()): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 10000')
  return db
}

async function migratedStore(options: SqliteStoreOptions = {}, db = openDatabase()) {
  const store = new SqliteStore(db, options)
  await store.migrate()
  return { db, store }
}

/** Whether `promise` rejects with `SessionError` `code`. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<unknown> {
  const error = await promise.then(
    () => new Error('the operation succeeded'),
    (e: unknown) => e
  )
  expect(isSessionError(error) && error.code).toBe(code)
  return error
}

describeStoreConformance(
  'SqliteStore',
  async () => {
    const { db, store } = await migratedStore()
    return { store, cleanup: async () => void db.close() }
  },
  {
    isolated: true,
    unreachable: async () => {
      const { db, store } = await migratedStore()
      db.close()
      return store
    },
  }
)

describe('SqliteStore options', () => {
  it('rejects a table name that is not a plain identifier with CONFIG', () => {
    const db = new Database(':memory:')
    for (const tableName of ['sessions; DROP TABLE x', 'a"b', '', '1sessions', 'x'.repeat(64)]) {
      expect(() => new SqliteStore(db, { tableName })).toThrow(
        expect.objectContaining({ name: 'SessionError', code: 'CONFIG' })
      )
    }
    db.close()
  })

  it('rejects something that is not a database with CONFIG', () => {
    expect(() => new SqliteStore({} as SqliteDatabase)).toThrow(
      expect.objectContaining({ code: 'CONFIG' })
    )
  })

  it('keeps stores with different table names apart, also one named after a keyword', async () => {
    const db = openDatabase()
    const { store: first } = await migratedStore({ tableName: 'order' }, db)
    const { store: second } = await migratedStore({ tableName: 'web_sessions_2' }, db)
    const record = makeRecord('k')
    expect(await first.create(record)).toBe(true)
    expect(await second.load('k')).toBeUndefined()
    expect(await second.create(makeRecord('k', { data: { other: true } }))).toBe(true)
    expect(await first.load('k')).toStrictEqual(record)
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all()
    expect(tables).toStrictEqual(['order', 'web_sessions_2'])
    db.close()
  })

  it('accepts any object with prepare and exec, and prepares each statement only once', async () => {
    const db = openDatabase()
    let prepares = 0
    const counting: SqliteDatabase = {
      prepare: (source) => {
        prepares++
        return db.prepare(source)
      },
      exec: (source) => db.exec(source),
    }
    const store = new SqliteStore(counting)
    await store.migrate()
    const use = async (key: string) => {
      await store.create(makeRecord(key))
      await store.save(makeRecord(key, { version: 1 }), 0)
      await store.save(makeRecord(key, { version: 2 }))
      await store.load(key)
      for await (const _ of store.scan({ batchSize: 1 })) void _
      await store.deleteExpired()
      await store.delete(key)
    }
    await use('a')
    const afterFirstUse = prepares
    for (let i = 0; i < 20; i++) await use(`k${i}`)
    expect(prepares).toBe(afterFirstUse)
    // The eight statements, and migrate's check for the token column.
    expect(afterFirstUse).toBeLessThanOrEqual(9)
    db.close()
  })

  it('returns numbers, not bigints, from a database that reads safe integers', async () => {
    const db = openDatabase()
    db.defaultSafeIntegers(true)
    const { store } = await migratedStore({}, db)
    const record = makeRecord('k', { version: 0, schemaVersion: 2 })
    await store.create(record)
    expect(await store.load('k')).toStrictEqual(record)
    db.close()
  })
})

/** Tables, columns and indexes of `table`, as SQLite reports them. */
function schemaOf(db: Database.Database, table: string) {
  const indexes = (db.pragma(`index_list("${table}")`) as { name: string }[])
    .map((index) => ({ ...index, columns: db.pragma(`index_xinfo("${index.name}")`) }))
    .sort((a, b) => a.name.localeCompare(b.name))
  return {
    table: db
      .prepare('SELECT type, ncol, wr, strict FROM pragma_table_list WHERE name = ?')
      .get(table),
    columns: db.pragma(`table_xinfo("${table}")`),
    indexes,
    sql: (
      db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').all() as {
        sql: string | null
      }[]
    ).map((row) => ({ ...row, sql: row.sql?.replace(/\s+/g, ' ') })),
  }
}

describe('SqliteStore migrate', () => {
  it('creates exactly the table and index of schemas/sqlite.sql', async () => {
    const { db: migrated } = await migratedStore()
    const fromFile = openDatabase()
    fromFile.exec(readFileSync(new URL('../../schemas/sqlite.sql', import.meta.url), 'utf8'))

    const expected = schemaOf(fromFile, 'sessions')
    expect(expected.columns).toHaveLength(8)
    expect(expected.indexes.map((index) => index.columns)).toContainEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'expires_at', key: 1 })])
    )
    expect(schemaOf(migrated, 'sessions')).toStrictEqual(expected)
    migrated.close()
    fromFile.close()
  })

  it('is harmless to run twice, and keeps the records', async () => {
    const { db, store } = await migratedStore()
    const record = makeRecord('k')
    await store.create(record)
    await store.migrate()
    await new SqliteStore(db).migrate()
    expect(await store.load('k')).toStrictEqual(record)
    db.close()
  })

  it('fails operations before migrate with STORE_UNAVAILABLE, and works once migrated', async () => {
    const db = openDatabase()
    const store = new SqliteStore(db)
    const error = await rejectsWith(store.load('k'), 'STORE_UNAVAILABLE')
    expect(String((error as Error).cause)).toMatch(/no such table/)
    await store.migrate()
    expect(await store.create(makeRecord('k'))).toBe(true)
    db.close()
  })
})

describe('SqliteStore failures and expiry', () => {
  it('rejects every operation on a closed database with STORE_UNAVAILABLE and a cause', async () => {
    const { db, store } = await migratedStore()
    await store.create(makeRecord('k')) // the statements are prepared before the close
    db.close()
    const record = makeRecord('k', { version: 1 })
    const scanAll = async () => {
      for await (const _ of store.scan()) void _
    }
    for (const run of [
      () => store.migrate(),
      () => store.create(record),
      () => store.load('k'),
      () => store.save(record),
      () => store.save(record, 0),
      () => store.delete('k'),
      () => store.deleteExpired(),
      scanAll,
    ]) {
      const error = await rejectsWith(run(), 'STORE_UNAVAILABLE')
      expect((error as Error).cause).toBeInstanceOf(TypeError)
    }
  })

  it('deleteExpired deletes more rows than one batch and leaves live ones', async () => {
    const { db, store } = await migratedStore()
    const past = Date.now() - 1000
    for (let i = 0; i < 2500; i++)
      await store.create(makeRecord(`expired-${i}`, { expiresAt: past }))
    for (let i = 0; i < 10; i++) await store.create(makeRecord(`live-${i}`))
    expect(await store.deleteExpired()).toBe(2500)
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(10)
    expect(await store.deleteExpired()).toBe(0)
    db.close()
  })

  it('rejects a scan batchSize that is not a positive integer with CONFIG', async () => {
    const { db, store } = await migratedStore()
    const scanAll = async () => {
      for await (const _ of store.scan({ batchSize: 0 })) void _
    }
    await rejectsWith(scanAll(), 'CONFIG')
    db.close()
  })
})

/*
 * Two connections in two threads: better-sqlite3 is synchronous, so two connections in one
 * thread would never overlap. Each worker loads the store through tsx and meets the other at a
 * barrier before it starts writing.
 */
const require = createRequire(import.meta.url)
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
async function main() {
  const { register } = await import(workerData.tsxApi)
  register()
  const { SqliteStore } = await import(workerData.storeModule)
  const Database = require(workerData.driver)
  const db = new Database(workerData.file)
  db.pragma('busy_timeout = 10000')
  const store = new SqliteStore(db, { tableName: workerData.tableName })
  const now = Date.now()
  const record = (key, version, data) =>
    ({ key, data, createdAt: now, expiresAt: now + 3600000, version, schemaVersion: 0 })

  const gate = new Int32Array(workerData.gate)
  let arrived = Atomics.add(gate, 0, 1) + 1
  Atomics.notify(gate, 0)
  while (arrived < workerData.writers) {
    Atomics.wait(gate, 0, arrived, 10)
    arrived = Atomics.load(gate, 0)
  }

  const results = []
  const writer = workerData.writer
  if (workerData.task === 'compare-and-set') {
    for (const key of workerData.keys) results.push(await store.save(record(key, 1, { writer }), 0))
  } else if (workerData.task === 'create') {
    for (const key of workerData.keys) results.push(await store.create(record(key, 0, { writer })))
  } else if (workerData.task === 'increment') {
    for (let done = 0; done < workerData.increments; ) {
      const current = await store.load(workerData.keys[0])
      const next = { ...current, data: { count: current.data.count + 1 }, version: current.version + 1 }
      if (await store.save(next, current.version)) done++
      else results.push('conflict')
    }
  }
  db.close()
  return results
}
main().then(
  (results) => parentPort.postMessage({ results }),
  (error) => parentPort.postMessage({ error: String(error) + ' / cause: ' + String(error.cause) })
)
`

interface WorkerTask {
  task: 'compare-and-set' | 'create' | 'increment'
  keys: string[]
  increments?: number
}

/** Runs one task per worker, each on its own connection to `file`, all starting together. */
async function inParallel(
  file: string,
  tableName: string,
  tasks: WorkerTask[]
): Promise<unknown[][]> {
  const gate = new SharedArrayBuffer(4)
  const shared = {
    tsxApi: pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href,
    storeModule: new URL('../../src/stores/sqlite-store.ts', import.meta.url).href,
    driver: require.resolve('better-sqlite3'),
    file,
    tableName,
    gate,
    writers: tasks.length,
  }
  return Promise.all(
    tasks.map(
      (task, writer) =>
        new Promise<unknown[]>((resolve, reject) => {
          const worker = new Worker(WORKER_SOURCE, {
            eval: true,
            workerData: { ...shared, ...task, writer },
          })
          worker.once('message', (message: { results?: unknown[]; error?: string }) => {
            if (message.results !== undefined) resolve(message.results)
            else reject(new Error(message.error))
            void worker.terminate()
          })
          worker.once('error', reject)
        })
    )
  )
}

describe('SqliteStore with two connections to one WAL database', () => {
  it('of concurrent compare-and-set saves of one version through both, exactly one wins', async () => {
    const file = newFile()
    const { db, store } = await migratedStore({ tableName: 'cas_race' }, openDatabase(file))
    const keys = Array.from({ length: 300 }, (_, i) => `race-${i}`)
    for (const key of keys) await store.create(makeRecord(key))

    const [first = [], second = []] = await inParallel(file, 'cas_race', [
      { task: 'compare-and-set', keys },
      { task: 'compare-and-set', keys },
    ])

    for (const [i, key] of keys.entries()) {
      const won = [first[i], second[i]]
      expect(
        won.filter((result) => result === true),
        key
      ).toHaveLength(1)
      const loaded = await store.load(key)
      expect(loaded?.version).toBe(1)
      expect(loaded?.data).toStrictEqual({ writer: won.indexOf(true) })
    }
    db.close()
  })

  it('loses no increment when both connections update one session with compare-and-set', async () => {
    const file = newFile()
    const { db, store } = await migratedStore({ tableName: 'counter' }, openDatabase(file))
    await store.create(makeRecord('shared', { data: { count: 0 } }))

    await inParallel(file, 'counter', [
      { task: 'increment', keys: ['shared'], increments: 300 },
      { task: 'increment', keys: ['shared'], increments: 300 },
    ])

    const loaded = (await store.load('shared')) as SessionRecord
    expect(loaded.data).toStrictEqual({ count: 600 })
    expect(loaded.version).toBe(600)
    db.close()
  })

  it('never loses a session when both create many at once, and splits shared keys', async () => {
    const file = newFile()
    const { db, store } = await migratedStore({ tableName: 'creates' }, openDatabase(file))
    // Both start with the same keys in the same order, right after the barrier: the most
    // contended case. Then each creates keys of its own, while the other is still writing.
    const shared = Array.from({ length: 1000 }, (_, i) => `shared-${i}`)
    const own = (writer: number) => Array.from({ length: 2000 }, (_, i) => `own-${writer}-${i}`)
    const keysOf = [
      [...shared, ...own(0)],
      [...shared, ...own(1)],
    ]

    const results = await inParallel(file, 'creates', [
      { task: 'create', keys: keysOf[0] ?? [] },
      { task: 'create', keys: keysOf[1] ?? [] },
    ])

    const created = (writer: number) =>
      new Map((keysOf[writer] ?? []).map((key, i) => [key, results[writer]?.[i]]))
    const [byFirst, bySecond] = [created(0), created(1)]
    for (const byWriter of [byFirst, bySecond]) {
      for (const [key, result] of byWriter)
        if (key.startsWith('own-')) expect(result, key).toBe(true)
    }
    for (const key of shared) {
      const winners = [byFirst.get(key), bySecond.get(key)]
      expect(
        winners.filter((result) => result === true),
        key
      ).toHaveLength(1)
      expect((await store.load(key))?.data).toStrictEqual({ writer: winners.indexOf(true) })
    }
    expect(db.prepare('SELECT count(*) FROM creates').pluck().get()).toBe(2 * 2000 + 1000)
    db.close()
  })
})

import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import type { SessionRecord } from '../../src/core/store.js'
import { sqliteFiles } from '../helpers/sqlite-files.js'
import { makeRecord } from '../helpers/store-conformance.js'

const { newFile, openDatabase, migratedStore, remove } = sqliteFiles()
afterAll(remove)

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

import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { copyFile, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import { FileStore, type FileStoreOptions } from '../../src/stores/file-store/index.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { backendCallsPerReturningRequest } from '../helpers/round-trips.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import type { StoreUnderTest } from '../helpers/store-conformance.js'
import { runInProcesses } from '../helpers/store-processes.js'

// Each write is a lock file, a read, a temporary file and a rename: the conformance scan's 10,000
// creates take about 10 s alone, and more when other test files share the 2 cores.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 })

const root = mkdtempSync(join(tmpdir(), 'typed-sessions-file-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let dirs = 0
/** A new directory path under this file's temp root (not created: the store creates it). */
const newDir = () => join(root, `store-${++dirs}`)

/** A store on its own new directory: what every conformance test starts from. */
function setup(options: Partial<FileStoreOptions> = {}): StoreUnderTest & {
  store: FileStore
  dir: string
} {
  const dir = newDir()
  return {
    dir,
    store: new FileStore({ dir, ...options }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
    ownerIndexEntries: async (owner) => {
      const entries = join(dir, 'owners', await fileNameOf(owner))
      return existsSync(entries) ? readdirSync(entries).length : 0
    },
    copyStoredValue: async (from, to) => {
      const file = async (key: string) => join(dir, `${await fileNameOf(key)}.json`)
      await copyFile(await file(from), await file(to))
    },
  }
}

/** The hex SHA-256 the store names a key's files by. */
async function fileNameOf(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))
  return Buffer.from(digest).toString('hex')
}

/** The `SessionError` code `promise` rejects with, or what it resolved to. */
async function outcomeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => (isSessionError(error) ? error.code : error)
  )
}

describeConcurrency('FileStore', () => setup())
describePerUserConcurrency('FileStore', () => setup())

describeStoreConformance('FileStore', setup, {
  isolated: true,
  // A directory that cannot exist: its parent is a regular file.
  unreachable: () => {
    const file = join(root, `not-a-dir-${++dirs}`)
    writeFileSync(file, '')
    return new FileStore({ dir: join(file, 'sessions') })
  },
})

describe('FileStore options and layout', () => {
  it('rejects a missing directory and non-positive timings with CONFIG', () => {
    for (const options of [
      {},
      { dir: '' },
      { dir: 'x', staleLockMs: 0 },
      { dir: 'x', lockTimeoutMs: -1 },
      { dir: 'x', staleLockMs: Number.NaN },
    ]) {
      expect(() => new FileStore(options as FileStoreOptions)).toThrow(
        expect.objectContaining({ name: 'SessionError', code: 'CONFIG' })
      )
    }
  })

  it('keeps one JSON file per record, named by the SHA-256 of its key, and no lock or temporary files', async () => {
    const { dir, store } = setup()
    const record = makeRecord('layout/../key', {
      token: 't',
      expiry: { kind: 'onInactivity', seconds: 60 },
    })
    await store.create(record)
    await store.save({ ...record, version: 1 }, 0)
    await store.save({ ...record, version: 2 })
    const name = await fileNameOf(record.key)
    expect(readdirSync(dir)).toStrictEqual([`${name}.json`])
    const stored = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as SessionRecord
    expect(stored).toStrictEqual({ ...record, version: 2 })
    await store.delete(record.key)
    expect(readdirSync(dir)).toStrictEqual([])
  })

  it('never lets a reader see a half-written record while large records are rewritten', async () => {
    const { store } = setup({ sync: true })
    const record = makeRecord('big', { data: { blob: 'x'.repeat(500_000), n: 0 } })
    await store.create(record)
    let writing = true
    const writes = (async () => {
      for (let n = 1; n <= 100; n++) {
        await store.save({ ...record, data: { blob: 'y'.repeat(500_000), n }, version: n }, n - 1)
      }
      writing = false
    })()
    let reads = 0
    while (writing) {
      const loaded = await store.load(record.key)
      expect(loaded?.data['n']).toBe(loaded?.version)
      reads++
    }
    await writes
    expect(reads).toBeGreaterThan(0)
    expect((await store.load(record.key))?.version).toBe(100)
  })
})

describe('FileStore locks', () => {
  it('breaks a lock file left by a crashed process once it is older than staleLockMs', async () => {
    const { dir, store } = setup({ staleLockMs: 1000 })
    const record = makeRecord('stale-lock')
    await store.create(record)
    const lock = join(dir, `${await fileNameOf(record.key)}.lock`)
    writeFileSync(lock, '')
    const old = new Date(Date.now() - 5000)
    utimesSync(lock, old, old)
    expect(await store.save({ ...record, version: 1 }, 0)).toBe(true)
    expect(readdirSync(dir).filter((file) => !file.endsWith('.json'))).toStrictEqual([])
  })

  it('waits for a live lock, and fails with STORE_UNAVAILABLE once lockTimeoutMs has passed', async () => {
    const { dir, store } = setup({ lockTimeoutMs: 300 })
    const record = makeRecord('held')
    await store.create(record)
    const lock = join(dir, `${await fileNameOf(record.key)}.lock`)
    writeFileSync(lock, '')

    const error = await store.save({ ...record, version: 1 }, 0).catch((e: unknown) => e)
    expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
    expect(String((error as Error).cause)).toMatch(/Timed out after 300 ms waiting for the lock/)
    expect(await store.load(record.key)).toStrictEqual(record)

    const waiting = store.save({ ...record, version: 1 }, 0)
    setTimeout(() => rmSync(lock), 100)
    expect(await waiting).toBe(true)
  })
})

describe('FileStore stored data', () => {
  it('answers a file it cannot decode: load INVALID_STORED_DATA, create false, save only as upsert', async () => {
    const { dir, store } = setup()
    await store.create(makeRecord('good'))
    const bad = makeRecord('bad')
    await store.create(bad)
    writeFileSync(join(dir, `${await fileNameOf(bad.key)}.json`), '{"key":"bad","vers')

    expect(await outcomeOf(store.load('bad'))).toBe('INVALID_STORED_DATA')
    const keys: string[] = []
    for await (const record of store.scan()) keys.push(record.key)
    expect(keys).toStrictEqual(['good'])
    expect(await store.create(bad)).toBe(false)
    expect(await store.save({ ...bad, version: 1 }, 0)).toBe(false)
    expect(await store.save(bad)).toBe(true)
    expect(await store.load('bad')).toStrictEqual(bad)
  })

  it('deleteExpired also removes temporary files a crash left, once they are stale', async () => {
    const { dir, store } = setup({ staleLockMs: 1000 })
    await store.create(makeRecord('live'))
    const name = await fileNameOf('crashed')
    const leftover = join(dir, `${name}.${crypto.randomUUID()}.tmp`)
    const recent = join(dir, `${name}.${crypto.randomUUID()}.tmp`)
    writeFileSync(leftover, '{')
    writeFileSync(recent, '{')
    const old = new Date(Date.now() - 5000)
    utimesSync(leftover, old, old)
    expect(await store.deleteExpired()).toBe(0)
    expect(readdirSync(dir).sort()).toStrictEqual(
      [`${await fileNameOf('live')}.json`, recent.slice(dir.length + 1)].sort()
    )
  })
})

describe('FileStore with two processes on one directory', () => {
  it('loses no increment when both update one session with compare-and-set', async () => {
    const { dir, store } = setup()
    await store.create(makeRecord('shared', { data: { count: 0 } }))
    await runInProcesses('file', dir, [
      { task: 'increment', keys: ['shared'], increments: 150 },
      { task: 'increment', keys: ['shared'], increments: 150 },
    ])
    const loaded = await store.load('shared')
    expect(loaded?.data).toStrictEqual({ count: 300 })
    expect(loaded?.version).toBe(300)
  })

  it('of creates and compare-and-set saves of one key from both processes, exactly one wins', async () => {
    const { dir, store } = setup()
    const keys = Array.from({ length: 100 }, (_, i) => `race-${i}`)
    for (const key of keys) await store.create(makeRecord(key))
    const fresh = Array.from({ length: 100 }, (_, i) => `fresh-${i}`)
    const saved = await runInProcesses('file', dir, [
      { task: 'compare-and-set', keys },
      { task: 'compare-and-set', keys },
    ])
    const created = await runInProcesses('file', dir, [
      { task: 'create', keys: fresh },
      { task: 'create', keys: fresh },
    ])
    for (const [results, raced] of [
      [saved, keys],
      [created, fresh],
    ] as const) {
      for (const [i, key] of raced.entries()) {
        const won = [results[0]?.[i], results[1]?.[i]]
        expect(
          won.filter((result) => result === true),
          key
        ).toHaveLength(1)
        expect((await store.load(key))?.data).toStrictEqual({ writer: won.indexOf(true) })
      }
    }
  })
})

describe('FileStore round trips', () => {
  it('serves a returning visitor with one load and one save', async () => {
    const { store } = setup()
    const calls: string[] = []
    const counting: SessionStore = {
      create: (record) => (calls.push('create'), store.create(record)),
      load: (key) => (calls.push('load'), store.load(key)),
      save: (record, version) => (calls.push('save'), store.save(record, version)),
      delete: (key) => (calls.push('delete'), store.delete(key)),
    }
    const { perRequest, counter } = await backendCallsPerReturningRequest(
      counting,
      () => calls.length
    )
    expect(counter).toBe('11')
    expect(perRequest).toBe(2)
    expect(calls.slice(-2)).toStrictEqual(['load', 'save'])
  })
})

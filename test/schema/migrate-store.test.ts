import { describe, expect, it } from 'vitest'
import {
  MemoryStore,
  Session,
  isSessionError,
  migrateStore,
  recordKeyOf,
  type MigrateStoreReport,
  type SessionRecord,
  type SessionStore,
} from 'typed-sessions'
import { appSession } from '../../schemas/app-session.js'
import { markerRecord, movedMarkerKey } from '../../src/core/record-markers.js'

const HOUR = 3_600_000

function record(key: string, schemaVersion: number, data: object): SessionRecord {
  const now = Date.now()
  return {
    key,
    data: JSON.parse(JSON.stringify(data)),
    createdAt: now,
    expiresAt: now + HOUR,
    version: 0,
    schemaVersion,
  }
}

/** A MemoryStore with `count` sessions written under version 1, and a few of other kinds. */
async function storeWithSessions(count: number) {
  const store = new MemoryStore({ maxSessions: count + 100 })
  for (let i = 0; i < count; i++) await store.create(record(`v1-${i}`, 1, { count: i }))
  await store.create(record('v2', 2, { counter: 9 }))
  await store.create(record('v3', 3, { counter: 1 }))
  await store.create(record('broken', 1, { count: 'seven' }))
  await store.create(record('future', 4, { counter: 1, theme: 'dark' }))
  return store
}

describe('migrateStore', () => {
  it('migrates 10,000 sessions, after a dry run that changes nothing; a second run migrates 0', async () => {
    const store = await storeWithSessions(10_000)
    const progress: MigrateStoreReport[] = []
    const dry = await migrateStore(appSession, store, {
      dryRun: true,
      batchSize: 1000,
      onProgress: (report) => progress.push(report),
    })
    expect(dry).toMatchObject({
      scanned: 10_004,
      migrated: 10_001,
      current: 1,
      invalid: 2,
      newer: 1,
      conflicts: 0,
      dryRun: true,
    })
    expect(progress.map((report) => report.scanned)).toEqual([
      1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 10_004,
    ])
    expect(await store.load('v1-42')).toMatchObject({ schemaVersion: 1, data: { count: 42 } })

    const real = await migrateStore(appSession, store, { batchSize: 1000 })
    expect(real).toMatchObject({ scanned: 10_004, migrated: 10_001, current: 1, invalid: 2 })
    expect(await store.load('v1-42')).toMatchObject({
      schemaVersion: 3,
      version: 1,
      data: { counter: 42, role: 'customer' },
    })
    expect(await store.load('v2')).toMatchObject({
      schemaVersion: 3,
      data: { counter: 9, role: 'customer' },
    })
    // Left alone: the policy applies when a request loads them.
    expect(await store.load('broken')).toMatchObject({ schemaVersion: 1 })
    expect(await store.load('future')).toMatchObject({ schemaVersion: 4 })

    const again = await migrateStore(appSession, store)
    expect(again).toMatchObject({ migrated: 0, current: 10_002, invalid: 2 })
  })

  it('never clobbers a session a request wrote while the migration ran', async () => {
    const store = new MemoryStore()
    await store.create(record('busy', 1, { count: 1 }))
    await store.create(record('upgraded-meanwhile', 1, { count: 1 }))
    // A store whose first save of each key loses the race to a request's write.
    let raced = new Set<string>()
    const racing: SessionStore = {
      create: (r) => store.create(r),
      load: (key) => store.load(key),
      delete: (key) => store.delete(key),
      scan: (options) => store.scan(options),
      async save(r, expected) {
        if (expected !== undefined && !raced.has(r.key)) {
          raced = new Set([...raced, r.key])
          const current = (await store.load(r.key))!
          const write =
            r.key === 'busy'
              ? { ...current, data: { count: 5 }, version: current.version + 1 } // an old instance
              : { ...current, data: { counter: 7 }, schemaVersion: 3, version: current.version + 1 }
          await store.save(write, current.version)
        }
        return store.save(r, expected)
      },
    }
    const report = await migrateStore(appSession, racing)
    expect(report).toMatchObject({ scanned: 2, migrated: 1, current: 1, conflicts: 0 })
    // The request's value survived, and was then migrated.
    expect(await store.load('busy')).toMatchObject({
      schemaVersion: 3,
      data: { counter: 5, role: 'customer' },
    })
    expect(await store.load('upgraded-meanwhile')).toMatchObject({ data: { counter: 7 } })
  })

  it('counts a session that keeps changing through every retry as a conflict', async () => {
    const store = new MemoryStore()
    await store.create(record('hot', 1, { count: 1 }))
    const alwaysLosing: SessionStore = {
      create: (r) => store.create(r),
      load: (key) => store.load(key),
      delete: (key) => store.delete(key),
      scan: (options) => store.scan(options),
      async save(r, expected) {
        const current = (await store.load(r.key))!
        await store.save({ ...current, version: current.version + 1 }, current.version)
        return store.save(r, expected)
      },
    }
    expect(await migrateStore(appSession, alwaysLosing)).toMatchObject({
      conflicts: 1,
      migrated: 0,
    })
    expect(await store.load('hot')).toMatchObject({ schemaVersion: 1 })
  })

  it('neither counts nor rewrites the markers that a login and a logout leave', async () => {
    const store = new MemoryStore()
    // A session of the first release logs in: its old record becomes a moved marker.
    const first = new Session({ store, schemaVersion: 1 })
    await first.set('count', 1)
    await first.save()
    const login = new Session({ store, schemaVersion: 1 }, first.id)
    await login.cycleId()
    await login.save()
    // A logout whose process died between its compare-and-set and its delete.
    await store.create(markerRecord('ended', 0, 1, Date.now()))
    const markers = [movedMarkerKey(recordKeyOf(first.id!)), 'ended']

    const report = await migrateStore(appSession, store)
    expect(report).toMatchObject({ scanned: 1, migrated: 1, invalid: 0, gone: 0 })
    for (const key of markers) expect(await store.load(key)).toMatchObject({ data: {}, version: 0 })
    expect(await store.load(recordKeyOf(login.id!))).toMatchObject({ schemaVersion: 3 })
  })

  it('says clearly that a store without scan cannot be migrated in bulk', async () => {
    const store = new MemoryStore()
    const noScan: SessionStore = {
      create: (r) => store.create(r),
      load: (key) => store.load(key),
      save: (r, expected) => store.save(r, expected),
      delete: (key) => store.delete(key),
    }
    const error = await migrateStore(appSession, noScan).catch((e: unknown) => e)
    expect(isSessionError(error) && error.code).toBe('UNSUPPORTED')
    expect((error as Error).message).toMatch(/scan\(\)/)
  })

  it('surfaces a store failure as STORE_UNAVAILABLE with its cause', async () => {
    const failing: SessionStore = {
      create: async () => true,
      load: async () => undefined,
      save: async () => true,
      delete: async () => undefined,
      // eslint-disable-next-line require-yield
      async *scan() {
        throw new Error('connection reset')
      },
    }
    const error = await migrateStore(appSession, failing).catch((e: unknown) => e)
    expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
    expect((error as Error).cause).toMatchObject({ message: 'connection reset' })
  })
})

import { describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import {
  DenoKvStore,
  type DenoKvDatabase,
  type DenoKvKeyPart,
} from '../../src/stores/deno-kv-store.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { countedDenoKv, denoKvOwnerEntries } from '../helpers/deno-kv.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { CookieJar } from '../helpers/http.js'
import { boundCounterApp } from '../helpers/store-apps.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

// Runs on Deno only (npm run test:deno): Deno.openKv is Deno's own.
const deno = (globalThis as { Deno?: { openKv(path?: string): Promise<DenoKvDatabase> } }).Deno
if (deno === undefined) throw new Error('deno-kv-store.test.ts runs on Deno: npm run test:deno')
const kv = await deno.openKv(':memory:')
// The owner-index case on Deno KV's own expiry waits for its once-a-minute purge.
vi.setConfig({ testTimeout: 100_000 })

describeStoreConformance(
  'DenoKvStore (Deno, Deno.openKv(":memory:"))',
  () => {
    const prefix = ['conformance', crypto.randomUUID()]
    const { counted, readCost } = countedDenoKv(kv)
    return {
      store: new DenoKvStore(counted, { prefix }),
      ownerIndexEntries: (owner: string) => denoKvOwnerEntries(kv, prefix, owner),
      readCost,
      // The head entry, which holds a small record's JSON: what a restore would copy.
      copyStoredValue: async (from: string, to: string) => {
        const head = await kv.get([...prefix, 'record', from])
        const { ok } = await kv
          .atomic()
          .set([...prefix, 'record', to], head.value)
          .commit()
        if (!ok) throw new Error(`could not copy ${from}`)
      },
    }
  },
  { isolated: true }
)

describe('DenoKvStore', () => {
  it('a record larger than one 64 KiB entry is chunked, and replacing it removes the old chunks', async () => {
    const prefix = ['chunks', crypto.randomUUID()]
    const store = new DenoKvStore(kv, { prefix })
    const record = makeRecord('big', { data: { blob: 'é'.repeat(200_000) } })
    expect(await store.create(record)).toBe(true)
    expect(await store.load(record.key)).toStrictEqual(record)
    const chunkKeys = async () => {
      const keys = []
      for await (const entry of kv.list({ prefix: [...prefix, 'chunk'] })) keys.push(entry.key)
      return keys
    }
    expect((await chunkKeys()).length).toBeGreaterThan(6)
    expect(await store.save({ ...record, data: { small: true }, version: 1 }, 0)).toBe(true)
    expect(await chunkKeys()).toStrictEqual([])
  })

  it('entries carry a native expiry: the head of a record is gone from Deno KV after it', async () => {
    const prefix = ['expiry', crypto.randomUUID()]
    const store = new DenoKvStore(kv, { prefix })
    await store.create(makeRecord('soon', { expiresAt: Date.now() + 100 }))
    expect((await kv.get([...prefix, 'record', 'soon'])).versionstamp).not.toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await store.load('soon')).toBeUndefined()
  })

  it('a closed database fails with STORE_UNAVAILABLE and a cause', async () => {
    const closed = (await deno.openKv(':memory:')) as DenoKvDatabase & { close(): void }
    closed.close()
    const error = await new DenoKvStore(closed).load('k').catch((e: unknown) => e)
    expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
    expect((error as Error).cause).toBeDefined()
  })

  it('refuses a value that is not a Deno.Kv', () => {
    expect(() => new DenoKvStore({} as never)).toThrow(/Deno.openKv/)
  })
})

describeConcurrency('DenoKvStore (Deno, Deno.openKv(":memory:"))', () => ({
  store: new DenoKvStore(kv, { prefix: ['race', crypto.randomUUID()] }),
}))

describePerUserConcurrency('DenoKvStore (Deno, Deno.openKv(":memory:"))', () => ({
  store: new DenoKvStore(kv, { prefix: ['per-user', crypto.randomUUID()] }),
}))

describe('DenoKvStore owner index', () => {
  const ada = ownerKeyOf('ada')
  const bob = ownerKeyOf('bob')
  const entriesUnder = async (prefix: DenoKvKeyPart[]) => {
    const entries: { key: readonly DenoKvKeyPart[]; value: unknown }[] = []
    for await (const { key, value } of kv.list({ prefix })) entries.push({ key, value })
    return entries
  }

  it('keeps one entry per bound record, valued with its expiresAt, moved by a re-binding save and gone with a delete', async () => {
    const prefix = ['owners', crypto.randomUUID()]
    const store = new DenoKvStore(kv, { prefix })
    const record = makeRecord('bound', { owner: ada })
    await store.create(record)
    expect(await entriesUnder([...prefix, 'owner'])).toStrictEqual([
      { key: [...prefix, 'owner', ada, 'bound'], value: record.expiresAt },
    ])
    expect(await store.save({ ...record, owner: bob, version: 1 }, 0)).toBe(true)
    expect((await entriesUnder([...prefix, 'owner'])).map((entry) => entry.key)).toStrictEqual([
      [...prefix, 'owner', bob, 'bound'],
    ])
    await store.delete('bound')
    expect(await entriesUnder(prefix)).toStrictEqual([])
  })

  it('a bound record that cannot be decoded is left out of the listing, which goes on', async () => {
    const prefix = ['owners', crypto.randomUUID()]
    const store = new DenoKvStore(kv, { prefix })
    await store.create(makeRecord('good', { owner: ada }))
    const corrupt = makeRecord('corrupt', { owner: ada })
    await store.create(corrupt)
    const head = { expiresAt: corrupt.expiresAt, version: 0, owner: ada, text: '{"trunc' }
    await kv
      .atomic()
      .set([...prefix, 'record', 'corrupt'], head)
      .commit()
    expect((await store.listOwner(ada)).map((record) => record.key)).toStrictEqual(['good'])
  })

  it('a chunked record is indexed and listed like a small one', async () => {
    const store = new DenoKvStore(kv, { prefix: ['owners', crypto.randomUUID()] })
    const record = makeRecord('big', { owner: ada, data: { blob: 'é'.repeat(100_000) } })
    await store.create(record)
    expect(await store.listOwner(ada)).toStrictEqual([record])
  })

  it('a returning visitor bound to a user costs what an unbound one does: a get to load, a get and an atomic commit to save', async () => {
    const { counted, counts } = countedDenoKv(kv)
    const jar = new CookieJar(boundCounterApp(new DenoKvStore(counted, { prefix: ['visit'] })))
    expect(await jar.text('/count')).toBe('0')
    const before = counts.roundTrips
    expect(await jar.text('/count')).toBe('1')
    const unbound = counts.roundTrips - before
    await jar.fetch('/login/ada', { method: 'POST' })
    expect(await jar.text('/count')).toBe('2')
    const after = counts.roundTrips
    expect(await jar.text('/count')).toBe('3')
    expect(counts.roundTrips - after).toBe(unbound)
    expect(unbound).toBe(3)
  })
})

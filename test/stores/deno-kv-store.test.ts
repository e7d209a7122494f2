import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { DenoKvStore, type DenoKvDatabase } from '../../src/stores/deno-kv-store.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'

// Runs on Deno only (npm run test:deno): Deno.openKv is Deno's own.
const deno = (globalThis as { Deno?: { openKv(path?: string): Promise<DenoKvDatabase> } }).Deno
if (deno === undefined) throw new Error('deno-kv-store.test.ts runs on Deno: npm run test:deno')
const kv = await deno.openKv(':memory:')

describeStoreConformance(
  'DenoKvStore (Deno, Deno.openKv(":memory:"))',
  () => {
    const prefix = ['conformance', crypto.randomUUID()]
    return {
      store: new DenoKvStore(kv, { prefix }),
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

import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { KvStore } from '../../src/stores/cloudflare/index.js'
import { expectNoOwnerIndex } from '../helpers/owner-index-refusal.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { bindings } from '../helpers/workerd.js'

describeStoreConformance(
  'KvStore (workerd, local KV)',
  () => {
    const prefix = `kv-${crypto.randomUUID()}:`
    return {
      store: new KvStore(bindings.kv, { prefix }),
      copyStoredValue: async (from: string, to: string) => {
        const value = await bindings.kv.get(prefix + from, 'text')
        if (value === null) throw new Error(`no value ${from} to copy`)
        await bindings.kv.put(prefix + to, value)
      },
    }
  },
  {
    isolated: true,
    bestEffortCompareAndSet:
      'Workers KV has no conditional write: KvStore documents its conditional save as best effort',
  }
)

describe('KvStore', () => {
  it('keeps the record under the prefix, with a KV expiration at least 60 s ahead', async () => {
    const prefix = `kv-${crypto.randomUUID()}:`
    const store = new KvStore(bindings.kv, { prefix })
    const record = makeRecord('short', { expiresAt: Date.now() + 1000 })
    await store.create(record)
    const page = await bindings.kv.list({ prefix })
    expect(page.keys.map((key) => key.name)).toStrictEqual([`${prefix}short`])
    const listed = page.keys[0] as { name: string; expiration?: number }
    expect(listed.expiration).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 59)
  })

  it('a sequential conditional save with a stale version is refused', async () => {
    const store = new KvStore(bindings.kv, { prefix: `kv-${crypto.randomUUID()}:` })
    const record = makeRecord('stale')
    await store.create(record)
    expect(await store.save({ ...record, version: 1 }, 0)).toBe(true)
    expect(await store.save({ ...record, version: 1, data: { lost: true } }, 0)).toBe(false)
    expect((await store.load(record.key))?.data).toStrictEqual(record.data)
  })

  it('a value that is not a record loads as INVALID_STORED_DATA', async () => {
    const prefix = `kv-${crypto.randomUUID()}:`
    await bindings.kv.put(`${prefix}bad`, '{"key":"bad"}')
    const error = await new KvStore(bindings.kv, { prefix }).load('bad').catch((e: unknown) => e)
    expect(isSessionError(error) && error.code).toBe('INVALID_STORED_DATA')
  })

  it('refuses an empty prefix (or one that is not a string) with CONFIG', () => {
    for (const prefix of ['', 42]) {
      const error = (() => {
        try {
          new KvStore(bindings.kv, { prefix: prefix as string })
        } catch (e) {
          return e
        }
      })()
      expect(isSessionError(error) && error.code, String(prefix)).toBe('CONFIG')
      expect((error as Error).message).toMatch(/prefix/)
    }
  })

  it('scan skips a value it cannot decode and yields every other record', async () => {
    const prefix = `kv-${crypto.randomUUID()}:`
    const store = new KvStore(bindings.kv, { prefix })
    const records = ['a', 'c', 'e'].map((key) => makeRecord(key))
    for (const record of records) await store.create(record)
    await bindings.kv.put(`${prefix}b`, '{"truncated":')
    await bindings.kv.put(`${prefix}d`, 'null')
    const scanned = []
    for await (const record of store.scan({ batchSize: 2 })) scanned.push(record)
    expect(scanned).toStrictEqual(records)
  })
})

describe('KvStore and sessions per user', () => {
  it('refuses them: bind and sessionsPerUser are CONFIG naming the stores to use instead', async () => {
    await expectNoOwnerIndex(new KvStore(bindings.kv, { prefix: `kv-${crypto.randomUUID()}:` }))
  })
})

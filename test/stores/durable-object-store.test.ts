import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { recordKeyOf } from '../../src/core/session-id.js'
import { DurableObjectStore } from '../../src/stores/cloudflare/index.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { watchedNamespace } from '../helpers/durable-object-calls.js'
import { CookieJar } from '../helpers/http.js'
import { counterApp } from '../helpers/store-apps.js'
import { expectNoOwnerIndex } from '../helpers/owner-index-refusal.js'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { idOfCookie } from '../helpers/stores.js'
import { bindings, objectStorage } from '../helpers/workerd.js'

/**
 * A store with an owner index, whose session-object calls are counted: what a listing reads.
 * Stale index entries last until the owner's next listing (no `ownerIndexEntries` here: its case
 * expects them gone without one); durable-object-owners.test.ts checks the raw entries.
 */
function indexedStore() {
  const sessions = watchedNamespace(bindings.sessions)
  return {
    store: new DurableObjectStore(sessions, { owners: bindings.owners }),
    readCost: async (run: () => Promise<unknown>) => {
      const before = sessions.calls.length
      await run()
      return sessions.calls.length - before
    },
  }
}

describeStoreConformance(
  'DurableObjectStore (workerd, local Durable Objects, with owners)',
  () => ({
    ...indexedStore(),
    copyStoredValue: async (from: string, to: string) => {
      const value = await objectStorage(from, (storage) => storage.get('record'))
      await objectStorage(to, (storage) => storage.put('record', value))
    },
  }),
  { isolated: true }
)

describe('DurableObjectStore', () => {
  it('the alarm deletes a record once it has expired, and keeps a live one', async () => {
    const store = new DurableObjectStore(bindings.sessions)
    const expiring = makeRecord(`alarm-${crypto.randomUUID()}`, { expiresAt: Date.now() + 200 })
    const live = makeRecord(`alarm-${crypto.randomUUID()}`)
    await store.create(expiring)
    await store.create(live)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const stub = (key: string) => bindings.sessions.get(bindings.sessions.idFromName(key))
    // The alarm may already have run by itself; running it again is harmless.
    await runDurableObjectAlarm(stub(expiring.key) as never)
    await runDurableObjectAlarm(stub(live.key) as never)
    const raw = await stub(expiring.key).fetch(
      new Request('https://x/', { method: 'POST', body: JSON.stringify({ op: 'load' }) })
    )
    expect(await raw.json()).toStrictEqual({})
    expect(await store.load(live.key)).toStrictEqual(live)
  })

  it('a record its object cannot decode loads as INVALID_STORED_DATA; writes treat it as taken', async () => {
    const store = new DurableObjectStore(bindings.sessions)
    for (const stored of ['{"version":0,"data":', { not: 'a string' }]) {
      const record = makeRecord(`corrupt-${crypto.randomUUID()}`)
      await objectStorage(record.key, (storage) => storage.put('record', stored))
      const error = await store.load(record.key).catch((e: unknown) => e)
      expect(isSessionError(error) && error.code).toBe('INVALID_STORED_DATA')
      expect((error as Error).cause).toBeDefined()
      expect(await store.create(record)).toBe(false)
      expect(await store.save({ ...record, version: 1 }, 0)).toBe(false)
      expect(await store.save(record)).toBe(true)
      expect(await store.load(record.key)).toStrictEqual(record)
      await objectStorage(record.key, (storage) => storage.put('record', stored))
      await store.delete(record.key)
      expect(await store.load(record.key)).toBeUndefined()
    }
  })

  it('a session whose object holds a corrupt record is dropped by onInvalid: an empty session, never a 5xx', async () => {
    const store = new DurableObjectStore(bindings.sessions)
    const jar = new CookieJar(counterApp(store))
    expect(await jar.text('/count')).toBe('0')
    expect(await jar.text('/count')).toBe('1')
    const key = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
    await objectStorage(key, (storage) => storage.put('record', 'not json'))

    const response = await jar.fetch('/count')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('0')
    const fresh = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
    expect(fresh).not.toBe(key)
    expect(await jar.text('/count')).toBe('1')
  })

  it('the alarm of an object whose record cannot be decoded deletes it', async () => {
    const store = new DurableObjectStore(bindings.sessions)
    const record = makeRecord(`alarm-corrupt-${crypto.randomUUID()}`, {
      expiresAt: Date.now() + 100,
    })
    await store.create(record)
    await objectStorage(record.key, (storage) => storage.put('record', '{oops'))
    await new Promise((resolve) => setTimeout(resolve, 200))
    const stub = bindings.sessions.get(bindings.sessions.idFromName(record.key))
    await runDurableObjectAlarm(stub as never)
    expect(await objectStorage(record.key, (storage) => storage.get('record'))).toBeUndefined()
  })

  it('refuses a value that is not a namespace binding', () => {
    expect(() => new DurableObjectStore({} as never)).toThrow(/Durable Object namespace/)
  })
})

describeConcurrency('DurableObjectStore (workerd, local Durable Objects)', () => ({
  store: new DurableObjectStore(bindings.sessions),
}))

describePerUserConcurrency('DurableObjectStore (workerd, with owners)', indexedStore)

describe('DurableObjectStore without owners and sessions per user', () => {
  it('refuses them: bind and sessionsPerUser are CONFIG naming the stores to use instead', async () => {
    await expectNoOwnerIndex(new DurableObjectStore(bindings.sessions))
  })
})

import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  DurableObjectStore,
  type DurableObjectStorageBinding,
} from '../../src/stores/cloudflare/index.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { bindings } from '../helpers/workerd.js'

/** Runs `task` on the storage of the session object of `key`, inside that object. */
function objectStorage<T>(
  key: string,
  task: (storage: DurableObjectStorageBinding) => Promise<T>
): Promise<T> {
  const stub = bindings.sessions.get(bindings.sessions.idFromName(key))
  return runInDurableObject(stub, (_, state) => task(state.storage as DurableObjectStorageBinding))
}

describeStoreConformance(
  'DurableObjectStore (workerd, local Durable Objects)',
  () => ({
    store: new DurableObjectStore(bindings.sessions),
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

  it('refuses a value that is not a namespace binding', () => {
    expect(() => new DurableObjectStore({} as never)).toThrow(/Durable Object namespace/)
  })
})

describeConcurrency('DurableObjectStore (workerd, local Durable Objects)', () => ({
  store: new DurableObjectStore(bindings.sessions),
}))

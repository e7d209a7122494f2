import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { DurableObjectStore } from '../../src/stores/cloudflare/index.js'
import { describeConcurrency } from '../helpers/concurrency-suite.js'
import { describeStoreConformance, makeRecord } from '../helpers/store-conformance.js'
import { bindings } from '../helpers/workerd.js'

describeStoreConformance(
  'DurableObjectStore (workerd, local Durable Objects)',
  () => ({ store: new DurableObjectStore(bindings.sessions) }),
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

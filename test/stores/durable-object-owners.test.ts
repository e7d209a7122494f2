import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import { DurableObjectStore } from '../../src/stores/cloudflare/index.js'
import { deferred, gate as gateOf } from '../../src/testing/gate.js'
import { watchedNamespace, type ObjectCall } from '../helpers/durable-object-calls.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { bindings, directoryStorage, objectStorage } from '../helpers/workerd.js'

// DurableObjectStore's owner index (durable-object-owners.ts): stale entries never listed and
// pruned, and the interleavings of its protocol forced by gates.

const newOwner = () => ownerKeyOf(`user-${crypto.randomUUID()}`)
const newKey = (stem: string) => `${stem}-${crypto.randomUUID()}`
const keysOf = (records: { key: string }[]) => records.map((record) => record.key).sort()

/** The entries of `owner`'s directory, read from its storage: record key → nonces. */
const rawEntries = (owner: string) =>
  directoryStorage(owner, async (storage) => [...(await storage.list({ prefix: 'entry:' }))])

/** Holds the first call that `matches` until `release`; `arrived` resolves when it is held. */
function holdFirst(matches: (call: ObjectCall) => boolean) {
  const arrived = deferred()
  const released = deferred()
  let held = false
  return {
    before: async (call: ObjectCall) => {
      if (held || !matches(call)) return
      held = true
      arrived.resolve()
      await released.promise
    },
    arrived: arrived.promise,
    release: () => released.resolve(),
  }
}

describe('DurableObjectStore owner index', () => {
  it('a record deleted behind the directory is never listed, and the listing prunes its entry', async () => {
    const store = new DurableObjectStore(bindings.sessions, { owners: bindings.owners })
    const ada = newOwner()
    const gone = makeRecord(newKey('gone'), { owner: ada })
    const kept = makeRecord(newKey('kept'), { owner: ada })
    await store.create(gone)
    await store.create(kept)
    await objectStorage(gone.key, (storage) => storage.deleteAll())
    expect(await rawEntries(ada)).toHaveLength(2)

    expect(keysOf(await store.listOwner!(ada))).toEqual([kept.key])
    expect((await rawEntries(ada)).map(([name]) => name)).toEqual([`entry:${kept.key}`])
  })

  it('an expired record deleted by its alarm leaves an entry the next listing prunes, never lists', async () => {
    const store = new DurableObjectStore(bindings.sessions, { owners: bindings.owners })
    const ada = newOwner()
    const expiring = makeRecord(newKey('expiring'), { owner: ada, expiresAt: Date.now() + 200 })
    await store.create(expiring)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const stub = bindings.sessions.get(bindings.sessions.idFromName(expiring.key))
    await runDurableObjectAlarm(stub as never)
    expect(await objectStorage(expiring.key, (storage) => storage.get('record'))).toBeUndefined()
    expect(await rawEntries(ada)).toHaveLength(1)

    expect(await store.listOwner!(ada)).toEqual([])
    expect(await rawEntries(ada)).toEqual([])
  })

  it('a prune racing a re-binding removes only the nonce it read: the re-added entry stays', async () => {
    const ada = newOwner()
    const record = makeRecord(newKey('rebound'), { owner: ada })
    const plain = new DurableObjectStore(bindings.sessions, { owners: bindings.owners })
    await plain.create(record)
    await objectStorage(record.key, (storage) => storage.deleteAll())
    // The listing's removal of the stale nonce is held until the record is bound again.
    const gate = holdFirst((call) => call.message.op === 'remove')
    const owners = watchedNamespace(bindings.owners, gate.before)
    const store = new DurableObjectStore(bindings.sessions, { owners })

    const listing = store.listOwner!(ada)
    await gate.arrived
    expect(await plain.save({ ...record, version: 1 })).toBe(true)
    gate.release()
    expect(await listing).toEqual([])

    expect(keysOf(await store.listOwner!(ada))).toEqual([record.key])
    expect(await rawEntries(ada)).toHaveLength(1)
  })

  it('a binding write whose entry a listing pruned before the record landed is retried, never lost', async () => {
    const ada = newOwner()
    const record = makeRecord(newKey('in-flight'))
    // The write carrying the first nonce is held after its entry was added.
    const gate = holdFirst((call) => call.message.op === 'save' && 'nonce' in call.message)
    const sessions = watchedNamespace(bindings.sessions, gate.before)
    const store = new DurableObjectStore(sessions, { owners: bindings.owners })
    await store.create(record)

    const binding = store.save({ ...record, owner: ada, version: 1 }, 0)
    await gate.arrived
    expect(await rawEntries(ada)).toHaveLength(1)
    expect(await store.listOwner!(ada)).toEqual([])
    expect(await rawEntries(ada)).toEqual([])
    gate.release()
    expect(await binding).toBe(true)

    expect(keysOf(await store.listOwner!(ada))).toEqual([record.key])
    const writes = sessions.calls.filter((call) => call.message.op === 'save')
    // keep (needs an entry), the fenced write, the write under a fresh nonce
    expect(writes.map((call) => 'nonce' in call.message)).toEqual([false, true, true])
  })

  it('two bindings racing, one refused: the refused one takes only its own nonce from the entry', async () => {
    const ada = newOwner()
    const record = makeRecord(newKey('contested'))
    const both = gateOf(2)
    const sessions = watchedNamespace(bindings.sessions, async (call) => {
      if (call.message.op === 'save' && 'nonce' in call.message) await both.hold()
    })
    const store = new DurableObjectStore(sessions, { owners: bindings.owners })
    await store.create(record)

    const saves = [1, 2].map((n) =>
      store.save({ ...record, owner: ada, version: 1, data: { n } }, 0)
    )
    await both.allArrived
    expect(await rawEntries(ada)).toHaveLength(1)
    both.release()
    expect((await Promise.all(saves)).sort()).toEqual([false, true])

    expect(keysOf(await store.listOwner!(ada))).toEqual([record.key])
    const [[, nonces]] = (await rawEntries(ada)) as [[string, object]]
    expect(Object.keys(nonces)).toHaveLength(1)
  })

  it('a save that keeps a session bound to its owner makes no directory call', async () => {
    const owners = watchedNamespace(bindings.owners)
    const store = new DurableObjectStore(bindings.sessions, { owners })
    const ada = newOwner()
    const record = makeRecord(newKey('kept'), { owner: ada })
    await store.create(record)
    expect(owners.calls.map((call) => call.message.op)).toEqual(['add'])
    expect(await store.save({ ...record, version: 1, data: { n: 2 } }, 0)).toBe(true)
    expect(await store.save({ ...record, version: 2, data: { n: 3 } })).toBe(true)
    expect(owners.calls).toHaveLength(1)
    expect(keysOf(await store.listOwner!(ada))).toEqual([record.key])
  })

  it('a fence lasts until the expiry its write would have given the record, then the alarm drops it', async () => {
    const store = new DurableObjectStore(bindings.sessions, { owners: bindings.owners })
    const ada = newOwner()
    const record = makeRecord(newKey('fenced'), { owner: ada, expiresAt: Date.now() + 300 })
    await store.create(record)
    await objectStorage(record.key, (storage) => storage.delete('record'))
    expect(await store.listOwner!(ada)).toEqual([])
    const fences = () => objectStorage(record.key, (storage) => storage.get('fences'))
    expect(Object.keys((await fences()) as object)).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, 400))
    const stub = bindings.sessions.get(bindings.sessions.idFromName(record.key))
    await runDurableObjectAlarm(stub as never)
    expect(await fences()).toBeUndefined()
  })

  it('refuses an owners value that is not a namespace binding, saying how to bind one', () => {
    expect(() => new DurableObjectStore(bindings.sessions, { owners: {} as never })).toThrow(
      /options\.owners .*SessionOwnerDirectory.*SESSION_OWNERS/
    )
  })
})

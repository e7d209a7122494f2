import { describe, expect, it } from 'vitest'
import { MemoryStore, Session, ownerKeyOf, recordKeyOf } from 'typed-sessions'
import type { SessionRecord, SessionStore } from 'typed-sessions'
import { rejectionOf } from '../helpers/errors.js'
import { TestStore } from '../helpers/stores.js'

// Sessions per user in the engine (DESIGN.md §12): bind sets the owner of the next save, a fact
// about the session kept across replays and carried by cycleId; clear and flush unbind.

const ada = ownerKeyOf('ada')
const bob = ownerKeyOf('bob')

/** `store` behind another object: its own save lane, so two sessions really race in the store. */
function otherLane(store: SessionStore): SessionStore {
  return {
    create: (record, options) => store.create(record, options),
    load: (key) => store.load(key),
    save: (record, expected) => store.save(record, expected),
    delete: (key) => store.delete(key),
    listOwner: (owner) => store.listOwner!(owner),
  }
}

/** `store`, keeping every record the engine writes to it. */
function recordingWrites(store: MemoryStore) {
  const written: SessionRecord[] = []
  const recording: SessionStore = {
    create: (record, options) => (written.push(record), store.create(record, options)),
    load: (key) => store.load(key),
    save: (record, expected) => (written.push(record), store.save(record, expected)),
    delete: (key) => store.delete(key),
    listOwner: (owner) => store.listOwner(owner),
  }
  return { recording, written }
}

async function boundSession(store: SessionStore, owner = ada) {
  const session = new Session({ store })
  await session.set('user', 'someone')
  await session.bind(owner)
  await session.save()
  return session.id!
}

const keysOf = async (store: MemoryStore, owner: string) =>
  (await store.listOwner(owner)).map((record) => record.key)

describe('binding a session to an owner', () => {
  it('bind writes the owner with the next save; a later request reads it back', async () => {
    const store = new MemoryStore()
    const id = await boundSession(store)
    expect(await keysOf(store, ada)).toEqual([recordKeyOf(id)])
    const again = new Session({ store }, id)
    expect(again.owner).toBeUndefined() // known once loaded
    await again.load()
    expect(again.owner).toBe(ada)
  })

  it('binding to the owner the session has changes nothing; another owner re-binds it', async () => {
    const store = new MemoryStore()
    const id = await boundSession(store)
    const same = new Session({ store }, id)
    await same.bind(ada)
    expect(same.isModified).toBe(false)
    const other = new Session({ store }, id)
    await other.bind(bob)
    expect(other.isModified).toBe(true)
    await other.save()
    expect(await keysOf(store, ada)).toEqual([])
    expect(await keysOf(store, bob)).toEqual([recordKeyOf(id)])
  })

  it('bind(undefined) and clear() unbind the session', async () => {
    const store = new MemoryStore()
    const unbound = new Session({ store }, await boundSession(store))
    await unbound.bind(undefined)
    await unbound.save()
    const cleared = new Session({ store }, await boundSession(store))
    await cleared.clear()
    await cleared.set('visits', 1) // a cleared session that is written to stays, unbound
    await cleared.save()
    expect(await keysOf(store, ada)).toEqual([])
    expect((await store.load(recordKeyOf(cleared.id!)))?.data).toEqual({ visits: 1 })
  })

  it('flush ends the record and its entry; a write after it starts an unbound session', async () => {
    const store = new MemoryStore()
    const session = new Session({ store }, await boundSession(store))
    await session.load()
    expect(session.owner).toBe(ada)
    await session.flush()
    expect(session.owner).toBeUndefined()
    await session.set('visits', 1)
    await session.save()
    expect(await keysOf(store, ada)).toEqual([])
    expect((await store.load(recordKeyOf(session.id!)))?.owner).toBeUndefined()
  })

  it('cycleId carries the owner to the new record, and no marker ever carries one', async () => {
    const inner = new MemoryStore()
    const { recording, written } = recordingWrites(inner)
    const id = await boundSession(recording)
    const session = new Session({ store: recording }, id)
    await session.cycleId()
    await session.save()
    expect(session.id).not.toBe(id)
    expect(await keysOf(inner, ada)).toEqual([recordKeyOf(session.id!)])
    const markers = written.filter((record) => /^(moved:|flushed)/.test(record.token ?? ''))
    expect(markers.length).toBeGreaterThan(0)
    await session.flush()
    const allMarkers = written.filter((record) => /^(moved:|flushed)/.test(record.token ?? ''))
    expect(allMarkers.length).toBeGreaterThan(markers.length)
    for (const marker of allMarkers) expect(marker.owner).toBeUndefined()
    expect(await keysOf(inner, ada)).toEqual([])
  })

  it('a bind is kept when the save replays on a record a concurrent request changed', async () => {
    const store = new MemoryStore()
    const id = await boundSession(store, bob)
    const binding = new Session({ store }, id)
    const writer = new Session({ store: otherLane(store) }, id)
    await binding.bind(ada)
    await writer.set('note', 'concurrent')
    await writer.save() // first: the binding request's compare-and-set fails and replays
    await binding.save()
    const record = await store.load(recordKeyOf(id))
    expect(record?.owner).toBe(ada)
    expect(record?.data['note']).toBe('concurrent')
  })

  it('a request that did not bind keeps the owner a concurrent request bound meanwhile', async () => {
    const store = new MemoryStore()
    const id = await boundSession(store, bob)
    const writer = new Session({ store }, id)
    const binding = new Session({ store: otherLane(store) }, id)
    await writer.set('note', 'late')
    await binding.bind(ada)
    await binding.save()
    await writer.save() // replays its set on the re-bound record
    expect(await keysOf(store, ada)).toEqual([recordKeyOf(id)])
    expect(await keysOf(store, bob)).toEqual([])
  })

  it('bind refuses a store without an owner index with CONFIG, and a malformed key', async () => {
    const session = new Session({ store: new TestStore() })
    expect(await rejectionOf(session.bind(ada))).toEqual({
      code: 'CONFIG',
      message: expect.stringMatching(/no listOwner\(\).*Use one of: MemoryStore/),
    })
    const memory = new Session({ store: new MemoryStore() })
    expect(await rejectionOf(memory.bind('ada'))).toMatchObject({ code: 'INVALID_VALUE' })
    await expect(session.bind(undefined)).resolves.toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { MemoryStore, Session, recordKeyOf } from 'typed-sessions'
import { endRecord, revokeRecord } from '../../src/core/end-record.js'
import { movedMarkerKey } from '../../src/core/record-markers.js'

// The logout protocol as one function (DESIGN-16 "Ending a record outside a request"), shared by
// flush() and revocation.

async function savedSession(store: MemoryStore, data: Record<string, unknown> = { n: 1 }) {
  const session = new Session({ store })
  for (const [key, value] of Object.entries(data)) await session.set(key, value)
  await session.save()
  return session.id!
}

describe('endRecord', () => {
  it('ends a live record: true, and the key holds nothing afterwards', async () => {
    const store = new MemoryStore()
    const key = recordKeyOf(await savedSession(store))
    expect(await endRecord(store, key)).toBe(true)
    expect(await store.load(key)).toBeUndefined()
    expect(await endRecord(store, key)).toBe(false)
  })

  it('follows a session that a login moved, and ends it at its new id', async () => {
    const store = new MemoryStore()
    const id = await savedSession(store)
    const login = new Session({ store }, id)
    await login.cycleId()
    await login.save()
    const newKey = recordKeyOf(login.id!)
    expect(await store.load(movedMarkerKey(recordKeyOf(id)))).toBeDefined()
    const ended: string[] = []
    expect(await endRecord(store, recordKeyOf(id), { onEnded: (key) => ended.push(key) })).toBe(
      true
    )
    expect(await store.load(newKey)).toBeUndefined()
    // Told of the record it ended, once; a second end is told nothing.
    expect(ended).toEqual([newKey])
    expect(await endRecord(store, newKey, { onEnded: (key) => ended.push(key) })).toBe(false)
    expect(ended).toEqual([newKey])
  })

  it('a request that loaded the record before its end saves nothing after it', async () => {
    const store = new MemoryStore()
    const id = await savedSession(store)
    const late = new Session({ store }, id)
    await late.set('n', 2) // loaded at version 0
    expect(await endRecord(store, recordKeyOf(id))).toBe(true)
    await late.save()
    expect(late.lostTo).toBe('logout')
    expect(await store.load(recordKeyOf(id))).toBeUndefined()
  })

  it('revokeRecord ends the record in its save lane: a save queued behind it finds it gone', async () => {
    const store = new MemoryStore()
    const id = await savedSession(store)
    const key = recordKeyOf(id)
    const writer = new Session({ store }, id)
    await writer.set('n', 3)
    const revoked = revokeRecord(store, key, { storeTimeout: 1000 })
    const saved = writer.save() // queued in the lane behind the revocation
    expect(await revoked).toBe(true)
    await saved
    expect(writer.lostTo).toBe('logout')
    expect(await store.load(key)).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import {
  Expiry,
  MemoryStore,
  Session,
  generateSessionId,
  isSessionError,
  recordKeyOf,
} from 'typed-sessions'
import type { CreateOptions, SessionStore } from 'typed-sessions'

function newSession(store = new MemoryStore(), id?: string) {
  return { store, session: new Session({ store }, id) }
}

/** A store that keeps the options of every `create`, in front of `store`. */
function recordingCreates(store: SessionStore) {
  const creates: (CreateOptions | undefined)[] = []
  const recording: SessionStore = {
    create: (record, options) => (creates.push(options), store.create(record, options)),
    load: (key) => store.load(key),
    save: (record, expected) => store.save(record, expected),
    delete: (key) => store.delete(key),
  }
  return { recording, creates }
}

/** A store that counts its loads, in front of `store`. */
function countingLoads(store: SessionStore) {
  const loads = { count: 0 }
  const counting: SessionStore = {
    create: (record) => store.create(record),
    load: (key) => (loads.count++, store.load(key)),
    save: (record, expected) => store.save(record, expected),
    delete: (key) => store.delete(key),
  }
  return { counting, loads }
}

async function savedSession(data: Record<string, unknown>, store = new MemoryStore()) {
  const { session } = newSession(store)
  for (const [key, value] of Object.entries(data)) await session.set(key, value)
  await session.save()
  return { store, id: session.id! }
}

describe('the session engine', () => {
  it('gives a new session no id until it is saved, then a 22-character id', async () => {
    const { session, store } = newSession()
    await session.set('a', 1)
    expect(session.id).toBeUndefined()
    await session.save()
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(await store.load(recordKeyOf(session.id!))).toMatchObject({ data: { a: 1 }, version: 0 })
  })

  it('stores records under the SHA-256 of the id, never the id itself', async () => {
    const { store, id } = await savedSession({ a: 1 })
    expect(await store.load(id)).toBeUndefined()
    expect(recordKeyOf(id)).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await store.load(recordKeyOf(id))).toBeDefined()
  })

  it('loads lazily and only once for concurrent reads', async () => {
    const { store, id } = await savedSession({ a: 1, b: 2 })
    const { counting, loads } = countingLoads(store)
    const session = new Session({ store: counting }, id)
    expect(loads.count).toBe(0)
    const [a, b] = await Promise.all([session.get('a'), session.get('b')])
    expect([a, b, loads.count]).toEqual([1, 2, 1])
  })

  it('marks modified only when a value really changes', async () => {
    const { store, id } = await savedSession({ a: { x: [1, 2] } })
    const session = new Session({ store }, id)
    await session.set('a', { x: [1, 2] })
    expect(session.isModified).toBe(false)
    await session.set('a', { x: [1, 3] })
    expect(session.isModified).toBe(true)
  })

  it('does not count deleting a missing key as a modification', async () => {
    const { store, id } = await savedSession({ a: 1 })
    const session = new Session({ store }, id)
    expect(await session.delete('missing')).toBe(false)
    expect(session.isModified).toBe(false)
    expect(await session.delete('a')).toBe(true)
    expect(session.isModified).toBe(true)
  })

  it('hands out frozen values: pushing onto a read array throws, and the session is unchanged', async () => {
    const { store, id } = await savedSession({ list: [1], nested: { ids: [1] } })
    const session = new Session({ store }, id)
    const list = (await session.get('list')) as number[]
    expect(() => list.push(2)).toThrow(TypeError)
    const nested = (await session.get('nested')) as { ids: number[] }
    expect(() => nested.ids.push(2)).toThrow(TypeError)
    expect(await session.get('list')).toEqual([1])
    expect(session.isModified).toBe(false)
  })

  it('keeps a frozen copy of a value it is given: the caller may go on changing its own', async () => {
    const { session } = newSession()
    const mine = { ids: [1] }
    await session.set('k', mine)
    mine.ids.push(2)
    const read = (await session.get('k')) as { ids: number[] }
    expect(read).toEqual({ ids: [1] })
    expect(Object.isFrozen(read) && Object.isFrozen(read.ids)).toBe(true)
    const next = (await session.update('k', (current) => {
      expect(Object.isFrozen(current)).toBe(true)
      return { ids: [...(current as { ids: number[] }).ids, 3] }
    })) as { ids: number[] }
    expect(() => next.ids.push(4)).toThrow(TypeError)
    expect(await session.get('k')).toEqual({ ids: [1, 3] })
  })

  it.each([
    ['a Date', new Date(0), /Date/],
    ['a bigint', 1n, /bigint/],
    ['a Map', new Map(), /Map/],
    ['a function', () => 1, /function/],
    ['undefined inside an object', { a: undefined }, /"k\.a"/],
    ['NaN', Number.NaN, /NaN/],
    ['Infinity in an array', [1, Infinity], /"k\.1"/],
  ])('refuses %s with INVALID_VALUE and changes nothing', async (_, value, message) => {
    const { session } = newSession()
    const error = await session.set('k', value).catch((e: unknown) => e)
    expect(isSessionError(error) && error.code).toBe('INVALID_VALUE')
    expect((error as Error).message).toMatch(message)
    expect(await session.get('k')).toBeUndefined()
    expect(session.isModified).toBe(false)
  })

  it('refuses a circular value', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const { session } = newSession()
    await expect(session.set('k', cyclic)).rejects.toThrow(/circular/)
  })

  it('keeps a "__proto__" key as data without touching any prototype', async () => {
    const { session, store } = newSession()
    await session.set('__proto__', { polluted: true })
    await session.set('nested', JSON.parse('{"__proto__": {"polluted": true}}'))
    await session.save()
    const again = new Session({ store }, session.id)
    expect(await again.get('__proto__')).toEqual({ polluted: true })
    expect(Object.keys((await again.get('nested')) as object)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('clears the data but keeps the id, without a store load', async () => {
    const { store, id } = await savedSession({ a: 1 })
    const { counting, loads } = countingLoads(store)
    const session = new Session({ store: counting }, id)
    await session.clear()
    expect(await session.get('a')).toBeUndefined()
    expect(loads.count).toBe(0)
    await session.save()
    expect(session.id).toBe(id)
    expect((await store.load(recordKeyOf(id)))?.data).toEqual({})
  })

  it('flushes: deletes the record, and a later write gets a brand-new id', async () => {
    const { store, id } = await savedSession({ a: 1 })
    const session = new Session({ store }, id)
    await session.flush()
    expect(session.id).toBeUndefined()
    expect(session.isEmpty()).toBe(true)
    expect(await store.load(recordKeyOf(id))).toBeUndefined()
    await session.set('b', 2)
    await session.save()
    expect(session.id).not.toBe(id)
    expect((await store.load(recordKeyOf(session.id!)))?.data).toEqual({ b: 2 })
  })

  it('cycles the id: the data is kept and the old record deleted', async () => {
    const { store, id } = await savedSession({ a: 1 })
    const session = new Session({ store }, id)
    await session.cycleId()
    expect(session.id).toBeUndefined()
    await session.save()
    expect(session.id).not.toBe(id)
    expect(await store.load(recordKeyOf(id))).toBeUndefined()
    expect((await store.load(recordKeyOf(session.id!)))?.data).toEqual({ a: 1 })
  })

  it('never adopts an unknown id', async () => {
    const { session } = newSession(new MemoryStore(), 'AAAAAAAAAAAAAAAAAAAAAA')
    await session.set('a', 1)
    await session.save()
    expect(session.id).not.toBe('AAAAAAAAAAAAAAAAAAAAAA')
  })

  it('persists a per-session expiry in the record', async () => {
    const store = new MemoryStore()
    const session = new Session({ store })
    await session.set('a', 1)
    session.setExpiry(Expiry.onInactivity(60))
    await session.save()
    const again = new Session({ store }, session.id)
    await again.load()
    expect(again.expiry).toEqual(Expiry.onInactivity(60))
    expect(again.expiryAge()).toBe(60)
  })

  it('caps the expiry at the absolute timeout since creation', async () => {
    let now = 1_000_000
    const store = new MemoryStore({ now: () => now })
    const config = {
      store,
      expiry: Expiry.onInactivity(3600),
      absoluteTimeout: 100,
      now: () => now,
    }
    const session = new Session(config)
    await session.set('a', 1)
    await session.save()
    expect(session.expiryAge()).toBe(100)
    now += 99_000
    const again = new Session(config, session.id)
    expect(await again.get('a')).toBe(1)
    expect(again.expiryAge()).toBe(1)
    now += 1_000
    const late = new Session(config, session.id)
    expect(await late.get('a')).toBeUndefined()
    expect(late.id).toBeUndefined()
  })

  it('merges key by key when a concurrent request saved first', async () => {
    const { store, id } = await savedSession({ a: 0, b: 0 })
    const first = new Session({ store }, id)
    const second = new Session({ store }, id)
    await first.set('a', 1)
    await second.set('b', 2)
    await first.save()
    await second.save()
    expect((await store.load(recordKeyOf(id)))?.data).toEqual({ a: 1, b: 2 })
  })

  it('drops a write when a concurrent request flushed the session meanwhile (logout wins)', async () => {
    const { store, id } = await savedSession({ a: 0 })
    const writer = new Session({ store }, id)
    await writer.set('b', 1)
    await new Session({ store }, id).flush()
    await writer.save()
    expect(writer.lostTo).toBe('logout')
    expect(writer.id).toBeUndefined()
    expect(writer.isEmpty()).toBe(true)
    expect(writer.wasSaved).toBe(false)
    expect(await store.load(recordKeyOf(id))).toBeUndefined()
  })

  it('still gives a write a fresh id when the id was unknown from the start', async () => {
    const store = new MemoryStore()
    const unknown = generateSessionId()
    const session = new Session({ store }, unknown)
    await session.set('b', 1)
    await session.save()
    expect(session.lostTo).toBeUndefined()
    expect(session.id).not.toBe(unknown)
    expect((await store.load(recordKeyOf(session.id!)))?.data).toEqual({ b: 1 })
  })
})

describe('cycleId', () => {
  it('keeps the creation time, so the absolute timeout counts from the first creation', async () => {
    let now = 1_000_000
    const store = new MemoryStore({ now: () => now })
    const config = { store, absoluteTimeout: 100, now: () => now }
    const session = new Session(config)
    await session.set('a', 1)
    await session.save()
    now += 60_000
    const login = new Session(config, session.id)
    await login.cycleId()
    await login.save()
    expect((await store.load(recordKeyOf(login.id!)))?.createdAt).toBe(1_000_000)
    expect(login.expiryAge()).toBe(40)
  })

  it('tells the store that the record it creates continues a cycled session', async () => {
    const { store, id } = await savedSession({ a: 1 })
    const { recording, creates } = recordingCreates(store)
    const login = new Session({ store: recording }, id)
    await login.cycleId()
    await login.save()
    expect(creates).toEqual([{ cycled: true }])
  })

  it('tells the store so for a login on a first visit too, and not for a plain new session', async () => {
    const { recording, creates } = recordingCreates(new MemoryStore())
    const firstVisit = new Session({ store: recording })
    await firstVisit.set('user', 'ada')
    await firstVisit.cycleId()
    await firstVisit.save()
    const unknownCookie = new Session({ store: recording }, generateSessionId())
    await unknownCookie.cycleId()
    await unknownCookie.set('user', 'ada')
    await unknownCookie.save()
    const visitor = new Session({ store: recording })
    await visitor.set('a', 1)
    await visitor.save()
    expect(creates).toEqual([{ cycled: true }, { cycled: true }, undefined])
  })

  it('does not tell the store so after a flush: a write then starts a fresh session', async () => {
    const { store, id } = await savedSession({ a: 1 })
    const { recording, creates } = recordingCreates(store)
    const session = new Session({ store: recording }, id)
    await session.cycleId()
    await session.flush()
    await session.set('b', 1)
    await session.save()
    expect(creates).toEqual([undefined])
  })

  it('deletes the old record only once the new one is saved', async () => {
    const { store, id } = await savedSession({ a: 1 })
    const session = new Session({ store }, id)
    await session.cycleId()
    expect(await store.load(recordKeyOf(id))).toBeDefined()
    await session.save()
    expect(await store.load(recordKeyOf(id))).toBeUndefined()
  })
})

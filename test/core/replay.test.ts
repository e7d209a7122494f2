import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  MemoryStore,
  Session,
  TypedSession,
  defineSession,
  isSessionError,
  recordKeyOf,
} from 'typed-sessions'
import type { SessionConfig, SessionRecord, SessionStore } from 'typed-sessions'
import { TestStore } from '../helpers/stores.js'

// DESIGN.md §8: a request's changes are replayed on the fresh record after a conflict.

async function savedSession(store: SessionStore, data: Record<string, unknown>) {
  const session = new Session({ store })
  for (const [key, value] of Object.entries(data)) await session.set(key, value)
  await session.save()
  return session.id!
}

/** Rejects with a SessionError of `code`; returns it. */
async function rejection(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => new Error('it resolved'),
    (e: unknown) => e
  )
  expect(isSessionError(error) ? error.code : error).toBe(code)
  return error as Error
}

describe('replaying a request on a fresher record', () => {
  it('runs update again on the fresh value, so racing increments all count', async () => {
    const store = new MemoryStore()
    const id = await savedSession(store, { n: 0 })
    const racers = Array.from({ length: 10 }, () => new Session({ store }, id))
    for (const racer of racers) await racer.load() // all based on version 0
    const calls: number[] = []
    for (const racer of racers)
      await racer.update('n', (n) => (calls.push(n as number), (n as number) + 1))
    await Promise.all(racers.map((racer) => racer.save()))
    expect((await store.load(recordKeyOf(id)))?.data).toEqual({ n: 10 })
    expect(calls.length).toBeGreaterThan(10) // fn ran again for the racers that replayed
  })

  it('writes a set again as it was: for one key the last save wins, other keys merge', async () => {
    const store = new MemoryStore()
    const id = await savedSession(store, { a: 'first', b: 'first' })
    const one = new Session({ store }, id)
    const two = new Session({ store }, id)
    await one.load()
    await two.load()
    await one.set('a', 'one')
    await two.set('a', 'two')
    await two.set('b', 'two')
    await one.save()
    await two.save()
    expect((await store.load(recordKeyOf(id)))?.data).toEqual({ a: 'two', b: 'two' })
  })

  it('validates a replayed update again: a result that no longer fits is INVALID_VALUE', async () => {
    const definition = defineSession(z.object({ seats: z.number().int().max(2).default(0) }))
    const store = new MemoryStore()
    const id = await savedSession(store, { seats: 1 })
    const config: SessionConfig = { store }
    const one = new TypedSession(definition, new Session(config, id))
    const two = new TypedSession(definition, new Session(config, id))
    expect(await one.update('seats', (n) => n + 1)).toBe(2)
    expect(await two.update('seats', (n) => n + 1)).toBe(2) // fits on the value it read
    await one.save()
    const error = await rejection(two.save(), 'INVALID_VALUE')
    expect(error.message).toMatch(/seats/)
    expect((await store.load(recordKeyOf(id)))?.data).toEqual({ seats: 2 })
  })

  it('replays through codecs: racing updates of an encoded value both apply', async () => {
    const isoDate = z.codec(z.iso.datetime(), z.date(), {
      decode: (text) => new Date(text),
      encode: (date) => date.toISOString(),
    })
    const definition = defineSession(z.object({ until: isoDate.optional() }))
    const store = new MemoryStore()
    const id = await savedSession(store, { until: '2030-01-01T00:00:00.000Z' })
    const day = 86_400_000
    const later = (date: Date | undefined) => new Date(date!.getTime() + day)
    const one = new TypedSession(definition, new Session({ store }, id))
    const two = new TypedSession(definition, new Session({ store }, id))
    await one.update('until', later)
    await two.update('until', later)
    await Promise.all([one.save(), two.save()])
    expect((await store.load(recordKeyOf(id)))?.data).toEqual({ until: '2030-01-03T00:00:00.000Z' })
  })

  it('gives up with CONFLICT once conflictTimeout is spent, and saves nothing', async () => {
    const store = new TestStore()
    const id = await savedSession(store, { n: 0 })
    store.refuse('save') // every compare-and-set loses, as if others always saved first
    const session = new Session({ store, conflictTimeout: 100 }, id)
    await session.update('n', (n) => (n as number) + 1)
    const started = performance.now()
    const error = await rejection(session.save(), 'CONFLICT')
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
    expect(error.message).toMatch(/conflictTimeout/)
    expect(store.calls.save).toBeGreaterThan(2) // it retried, spaced by backoff
    expect((await store.inner.load(recordKeyOf(id)))?.data).toEqual({ n: 0 })
  })
})

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a store that never answers', () => {
  const hung: SessionStore = {
    create: () => new Promise(() => {}),
    load: () => new Promise(() => {}),
    save: () => new Promise(() => {}),
    delete: () => new Promise(() => {}),
  }

  it('fails each call as STORE_UNAVAILABLE with a TimeoutError cause after storeTimeout', async () => {
    const id = await savedSession(new MemoryStore(), {})
    const reading = new Session({ store: hung, storeTimeout: 50 }, id)
    const started = performance.now()
    const error = await rejection(reading.get('n'), 'STORE_UNAVAILABLE')
    expect((error.cause as Error).name).toBe('TimeoutError')
    expect(performance.now() - started).toBeLessThan(1000)

    const creating = new Session({ store: hung, storeTimeout: 50 })
    await creating.set('n', 1)
    await rejection(creating.save(), 'STORE_UNAVAILABLE')
    expect(creating.id).toBeUndefined()
    expect(creating.wasSaved).toBe(false)
  })

  it('is not raced against storeTimeout when it declares itself inProcess (the MemoryStore)', async () => {
    expect(new MemoryStore().inProcess).toBe(true)
    // Slower than the timeout, yet declared in-process: the engine trusts it and waits.
    const inner = new MemoryStore()
    const slow = (inProcess: boolean): SessionStore => ({
      inProcess,
      create: async (record) => (await pause(80), inner.create(record)),
      load: (key) => inner.load(key),
      save: (record, version) => inner.save(record, version),
      delete: (key) => inner.delete(key),
    })
    const trusted = new Session({ store: slow(true), storeTimeout: 20 })
    await trusted.set('n', 1)
    await trusted.save()
    expect(trusted.wasSaved).toBe(true)
    const timed = new Session({ store: slow(false), storeTimeout: 20 })
    await timed.set('n', 1)
    await rejection(timed.save(), 'STORE_UNAVAILABLE')
  })
})

describe('values no store can hold', () => {
  const session = () => new Session({ store: new MemoryStore(), maxSize: 1000 })

  it('refuses a lone surrogate in a value or an object key', async () => {
    const s = session()
    await rejection(s.set('name', 'a\ud800b'), 'INVALID_VALUE')
    await rejection(s.set('map', { ['x\udc00']: 1 }), 'INVALID_VALUE')
    await s.set('fine', 'a\ud83d\ude00b') // a well-formed pair (an emoji) is fine
    expect(await s.get('fine')).toBe('a😀b')
  })

  it('refuses values nested deeper than 100 levels, with the path', async () => {
    let deep: unknown = 1
    for (let i = 0; i < 10_000; i++) deep = [deep]
    const error = await rejection(session().set('deep', deep), 'INVALID_VALUE')
    expect(error.message).toMatch(/100 levels/)
  })

  it('refuses a session that would grow past maxSize, at set and at save', async () => {
    const s = session()
    await rejection(s.set('big', 'x'.repeat(2000)), 'INVALID_VALUE')
    await s.set('a', 'x'.repeat(600))
    await s.set('b', 'y'.repeat(600)) // each fits alone, not together
    const error = await rejection(s.save(), 'INVALID_VALUE')
    expect(error.message).toMatch(/maxSize/)
  })
})

describe('a stored value nested 10,000 levels deep', () => {
  it('reads as an invalid value (dropped by default), never a stack overflow', async () => {
    let deep: unknown = 1
    for (let i = 0; i < 10_000; i++) deep = [deep]
    const now = Date.now()
    const holding: SessionStore = {
      create: async () => true,
      save: async () => true,
      delete: async () => {},
      load: async (key) =>
        ({
          key,
          data: { deep, n: 1 },
          createdAt: now,
          expiresAt: now + 60_000,
          version: 0,
          schemaVersion: 1,
        }) as SessionRecord,
    }
    const definition = defineSession(z.object({ deep: z.unknown(), n: z.number() }))
    const id = await savedSession(new MemoryStore(), {})
    const typed = new TypedSession(definition, new Session({ store: holding }, id))
    expect(await typed.get('deep')).toBeUndefined()
    expect(await typed.get('n')).toBe(1)
    const strict = defineSession(z.object({ deep: z.unknown() }), { onInvalid: 'throw' })
    const throwing = new TypedSession(strict, new Session({ store: holding }, id))
    await rejection(throwing.get('deep'), 'INVALID_STORED_DATA')
  })
})

describe('a corrupt record', () => {
  const corrupt: SessionStore = {
    create: async () => true,
    load: async (key) => ({ key, data: null }) as unknown as SessionRecord,
    save: async () => true,
    delete: async () => {},
  }

  it('reads as no session by default, and a write starts a fresh one', async () => {
    const id = await savedSession(new MemoryStore(), {})
    const s = new Session({ store: corrupt }, id)
    expect(await s.get('n')).toBeUndefined()
    expect(s.id).toBeUndefined()
  })

  it("is INVALID_STORED_DATA when the policy says 'throw'", async () => {
    const id = await savedSession(new MemoryStore(), {})
    const s = new Session({ store: corrupt, onCorruptRecord: () => 'throw' }, id)
    await rejection(s.get('n'), 'INVALID_STORED_DATA')
  })
})

describe('after the response was decided', () => {
  it('refuses every change with RESPONSE_STARTED, and still reads', async () => {
    const s = new Session({ store: new MemoryStore() })
    await s.set('n', 1)
    s.close()
    expect(await s.get('n')).toBe(1)
    const error = await rejection(s.set('n', 2), 'RESPONSE_STARTED')
    expect(error.message).toMatch(/before returning a streaming response/)
    await rejection(s.flush(), 'RESPONSE_STARTED')
  })
})

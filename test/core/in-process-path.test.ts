import { describe, expect, it } from 'vitest'
import { IN_PROCESS_CALLS, MemoryStore, Session } from 'typed-sessions'

describe('the synchronous path of an in-process store', () => {
  it('loads and saves a MemoryStore session within the calls, before any promise settles', async () => {
    const store = new MemoryStore()
    const first = new Session({ store })
    await first.set('counter', 1)
    const created = first.save()
    expect(first.wasSaved).toBe(true)
    await created
    const returning = new Session({ store }, first.id)
    const read = returning.get('counter')
    expect(returning.isLoaded).toBe(true)
    expect(await read).toBe(1)
    await returning.set('counter', 2)
    const saving = returning.save()
    expect(returning.wasSaved).toBe(true)
    await saving
    expect((await store.load(returning.recordKey!))?.data).toEqual({ counter: 2 })
  })

  it('goes the async way on a conflict, and replays the change on the fresh record', async () => {
    const store = new MemoryStore()
    const first = new Session({ store })
    await first.set('n', 0)
    await first.save()
    const a = new Session({ store }, first.id)
    const b = new Session({ store }, first.id)
    await a.update('n', (n) => (n as number) + 1)
    await b.update('n', (n) => (n as number) + 1)
    await a.save()
    const saving = b.save() // its compare-and-set fails: the async protocol reloads and replays
    expect(b.wasSaved).toBe(false)
    await saving
    expect((await store.load(a.recordKey!))?.data).toEqual({ n: 2 })
  })

  it('is not taken while a storeError handler watches each call', async () => {
    const store = new MemoryStore()
    const session = new Session({ store, on: { storeError() {} } })
    await session.set('k', 'v')
    const saving = session.save()
    expect(session.wasSaved).toBe(false)
    await saving
    expect(session.wasSaved).toBe(true)
  })

  it('is not offered by a MemoryStore whose calls a subclass or a patch overrides', async () => {
    class Watched extends MemoryStore {
      saves = 0
      override save(...args: Parameters<MemoryStore['save']>) {
        this.saves++
        return super.save(...args)
      }
    }
    expect(new MemoryStore()[IN_PROCESS_CALLS]).toBeDefined()
    const watched = new Watched()
    expect(watched[IN_PROCESS_CALLS]).toBeUndefined()
    const patched = new MemoryStore()
    patched.load = async () => undefined
    expect(patched[IN_PROCESS_CALLS]).toBeUndefined()
    const first = new Session({ store: watched })
    await first.set('k', 1)
    await first.save()
    const again = new Session({ store: watched }, first.id)
    await again.set('k', 2)
    await again.save()
    expect(watched.saves).toBe(1)
  })
})

describe("the MemoryStore's token column", () => {
  it('gives back the engine token it was given, and any other token as written', async () => {
    const store = new MemoryStore()
    const session = new Session({ store })
    await session.set('k', 1)
    await session.save()
    const written = await store.load(session.recordKey!)
    expect(written?.token).toMatch(/^[A-Za-z0-9_-]{11}[0-9a-z]+$/)
    const record = { ...written!, key: 'other', token: `${written!.token!.slice(0, 11)}0abc` }
    await store.save(record)
    expect((await store.load('other'))?.token).toBe(record.token)
    await store.save({ ...record, token: 'moved:somewhere' })
    expect((await store.load('other'))?.token).toBe('moved:somewhere')
    await store.save({ ...record, token: written!.token! })
    expect((await store.load('other'))?.token).toBe(written!.token)
    const untokened: Partial<typeof record> = { ...record }
    delete untokened.token
    await store.save(untokened as typeof record)
    expect((await store.load('other'))?.token).toBeUndefined()
  })
})

import { createStorage } from 'unstorage'
import memoryDriver from 'unstorage/drivers/memory'
import { describe, expect, it } from 'vitest'
import { CookieStore, type SessionStore } from 'typed-sessions'
import { DurableObjectStore } from '../../src/stores/cloudflare/durable-object-store.js'
import { KvStore } from '../../src/stores/cloudflare/kv-store.js'
import { UnstorageStore } from '../../src/stores/unstorage-store.js'
import { expectNoOwnerIndex } from '../helpers/owner-index-refusal.js'

// The stores that cannot keep an index of sessions per user atomically with their records
// (DESIGN-16): binding and sessionsPerUser are CONFIG, naming the stores that can. Workers KV
// and Durable Objects are checked on workerd (kv-store.test.ts, durable-object-store.test.ts).

const stores: [string, () => SessionStore][] = [
  ['CookieStore', () => new CookieStore()],
  ['UnstorageStore', () => new UnstorageStore(createStorage({ driver: memoryDriver() }))],
]

describe('stores without an owner index', () => {
  it.each(stores)(
    '%s: session.bind() and sessionsPerUser are CONFIG naming the stores that can',
    async (_, make) => {
      await expectNoOwnerIndex(make())
    }
  )

  it('Workers KV (KvStore), Durable Objects (without owners), unstorage and the CookieStore have no listOwner', () => {
    for (const store of [KvStore, DurableObjectStore, UnstorageStore, CookieStore]) {
      expect('listOwner' in store.prototype).toBe(false)
    }
  })

  it('the refusal says why each cannot, and how a DurableObjectStore gets an index', async () => {
    const { noOwnerIndex } = await import('../../src/core/owner.js')
    const { message } = noOwnerIndex('Binding a session')
    expect(message).toMatch(/Workers KV, unstorage and the CookieStore cannot keep one atomically/)
    expect(message).toMatch(/a DurableObjectStore keeps one given a SessionOwnerDirectory binding/)
    expect(message).toMatch(/\{ owners: env\.SESSION_OWNERS \}/)
    expect(message).toMatch(/Use one of: .*D1Store.*DurableObjectStore with its owners option/)
  })
})

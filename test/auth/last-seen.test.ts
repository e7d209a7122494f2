import { describe, expect, it } from 'vitest'
import { MemoryStore, recordKeyOf, type SessionRecord, type SessionStore } from 'typed-sessions'
import { loggedIn, perUserApp } from '../helpers/per-user-app.js'
import { idOfCookie } from '../helpers/stores.js'

// lastSeenAt is a data write, at most once per lastSeenEvery: a returning visitor's cost is
// unchanged by sessions per user (no store call added, no write unless it is due).

/** A MemoryStore that counts every call, listOwner included. */
function countingStore() {
  const inner = new MemoryStore()
  const calls: string[] = []
  const store: SessionStore = {
    inProcess: true,
    create: (record, options) => (calls.push('create'), inner.create(record, options)),
    load: (key) => (calls.push('load'), inner.load(key)),
    save: (record, expected) => (calls.push('save'), inner.save(record, expected)),
    delete: (key) => (calls.push('delete'), inner.delete(key)),
    listOwner: (owner) => (calls.push('listOwner'), inner.listOwner(owner)),
  }
  return { inner, store, calls }
}

const lastSeenOf = async (store: MemoryStore, jar: { cookies: Map<string, string> }) => {
  const record: SessionRecord | undefined = await store.load(
    recordKeyOf(idOfCookie(jar.cookies.get('id')!))
  )
  return (record?.data['$session'] as { lastSeenAt: number } | undefined)?.lastSeenAt
}

describe('lastSeenAt', () => {
  it('a returning visitor costs one load per request until lastSeenAt is due, then one save', async () => {
    const { inner, store, calls } = countingStore()
    const made = perUserApp({ store, sessionsPerUser: { lastSeenEvery: 60 } })
    const jar = await loggedIn(made, 'ada')
    const loginSeen = await lastSeenOf(inner, jar)
    calls.length = 0
    for (let i = 0; i < 3; i++) expect(await jar.text('/me')).toBe('ada')
    expect(calls).toEqual(['load', 'load', 'load'])
    expect(await lastSeenOf(inner, jar)).toBe(loginSeen)

    made.clock.offset += 61_000
    calls.length = 0
    await jar.text('/me')
    expect(calls).toEqual(['load', 'save'])
    expect(await lastSeenOf(inner, jar)).toBeGreaterThanOrEqual(loginSeen! + 61_000)
    calls.length = 0
    await jar.text('/me')
    expect(calls).toEqual(['load'])
  })

  it('a visitor who never logged in costs what it did: no listing, no write', async () => {
    const { store, calls } = countingStore()
    const made = perUserApp({ store })
    const jar = made.jar()
    await jar.fetch('/count', { method: 'POST' })
    calls.length = 0
    expect(await jar.text('/me')).toBe('nobody')
    expect(calls).toEqual(['load'])
  })

  it("defaults to the middleware's touchAfter, else 300 seconds", async () => {
    for (const [touchAfter, due] of [
      [30, 31_000],
      [undefined, 301_000],
    ] as const) {
      const made = perUserApp({ middleware: touchAfter === undefined ? {} : { touchAfter } })
      const store = made.store as MemoryStore
      const jar = await loggedIn(made, 'ada')
      const seen = await lastSeenOf(store, jar)
      made.clock.offset += due - 2000
      await jar.text('/me')
      expect(await lastSeenOf(store, jar)).toBe(seen)
      made.clock.offset += 2000
      await jar.text('/me')
      expect(await lastSeenOf(store, jar)).toBeGreaterThan(seen!)
    }
  })

  it('listSessions shows the refreshed lastSeenAt, newest first', async () => {
    const made = perUserApp({ sessionsPerUser: { lastSeenEvery: 10 } })
    const old = await loggedIn(made, 'ada', {}, 'Old')
    const recent = await loggedIn(made, 'ada', {}, 'Recent')
    made.clock.offset += 20_000
    await old.text('/me') // seen again: now the most recent
    const listed = (await (await recent.fetch('/sessions')).json()) as { deviceName: string }[]
    expect(listed.map((info) => info.deviceName)).toEqual(['Old', 'Recent'])
  })
})

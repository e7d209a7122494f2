import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { MemoryStore } from 'typed-sessions'
import { handleOf, ownerKeyOf, recordKeyOf } from 'typed-sessions'
import { createAuth } from 'typed-sessions/auth'
import { loginSession, testAuth } from '../helpers/auth.js'
import { rejectionOf } from '../helpers/errors.js'
import { sessionApp } from '../helpers/http.js'
import { loggedIn, perUserApp } from '../helpers/per-user-app.js'
import { TestStore, idOfCookie, recordOfCookie } from '../helpers/stores.js'

// DESIGN.md §12: login binds the session to its user and keeps device details; a user sees
// their sessions and signs them out one by one or all at once.

const firefox =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0'
const android =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'

type Listed = {
  handle: string
  current: boolean
  userAgent?: string
  ip?: string
  deviceName?: string
}

const listOf = async (jar: { fetch: (path: string) => Promise<Response> }) =>
  (await (await jar.fetch('/sessions')).json()) as Listed[]
const keyOf = (jar: { cookies: Map<string, string> }) =>
  recordKeyOf(idOfCookie(jar.cookies.get('id')!))

describe('login binds the session and keeps its device details', () => {
  it('stores the user agent summary, the truncated IP, the app field and the login time', async () => {
    const made = perUserApp()
    const before = made.clock.now()
    const jar = await loggedIn(
      made,
      'ada',
      { 'User-Agent': firefox, 'X-Test-IP': '203.0.113.77' },
      'Laptop'
    )
    const record = await recordOfCookie(made.store, jar.cookies.get('id')!)
    expect(record?.owner).toBe(ownerKeyOf('ada'))
    const details = record?.data['$session'] as Record<string, unknown>
    expect(details).toEqual({
      loginAt: expect.any(Number),
      lastSeenAt: details['loginAt'],
      userAgent: 'Firefox 133 on macOS',
      ip: '203.0.113.0',
      fields: { deviceName: 'Laptop' },
    })
    expect(details['loginAt']).toBeGreaterThanOrEqual(before)
    expect(JSON.stringify(record)).not.toContain('Gecko/20100101')
  })

  it('keeps the IP as the ip option says: hashed, in full, or not at all', async () => {
    const ips = await Promise.all(
      (['hash', 'full', 'none'] as const).map(async (ip) => {
        const made = perUserApp({ sessionsPerUser: { ip } })
        const jar = await loggedIn(made, 'ada', { 'X-Test-IP': '2001:db8:85a3:0:0:8a2e:370:7334' })
        return (await listOf(jar))[0]?.ip
      })
    )
    expect(ips[0]).toMatch(/^[\w-]{16}$/)
    expect(ips.slice(1)).toEqual(['2001:db8:85a3::8a2e:370:7334', undefined])
  })

  it('refuses fields that do not fit the fields schema with INVALID_VALUE, before any change', async () => {
    const made = perUserApp()
    const response = await made.jar().fetch('/login/ada?device=', { method: 'POST' })
    expect(response.status).toBe(500)
    expect(await response.text()).toMatch(/INVALID_VALUE|Invalid session fields/)
    expect((made.store as MemoryStore).size).toBe(0)
  })
})

describe('listSessions', () => {
  it("lists the user's live sessions newest first, marks the current one, and no one else's", async () => {
    const made = perUserApp()
    const phone = await loggedIn(made, 'ada', { 'User-Agent': android }, 'Phone')
    made.clock.offset += 1000
    const laptop = await loggedIn(made, 'ada', { 'User-Agent': firefox }, 'Laptop')
    await loggedIn(made, 'bob')
    const fromLaptop = await listOf(laptop)
    expect(fromLaptop).toEqual([
      expect.objectContaining({
        current: true,
        userAgent: 'Firefox 133 on macOS',
        deviceName: 'Laptop',
      }),
      expect.objectContaining({
        current: false,
        userAgent: 'Chrome 131 on Android',
        deviceName: 'Phone',
      }),
    ])
    expect(fromLaptop.map((info) => info.handle)).toEqual([
      handleOf(keyOf(laptop)),
      handleOf(keyOf(phone)),
    ])
    const fromPhone = await listOf(phone)
    expect(fromPhone.map((info) => info.current)).toEqual([false, true])
    expect(await listOf(made.jar())).toEqual([])
  })

  it('a handle is neither the id nor the record key, nor part of the cookie', async () => {
    const made = perUserApp()
    const jar = await loggedIn(made, 'ada')
    const [info] = await listOf(jar)
    const cookie = jar.cookies.get('id')!
    expect(cookie).not.toContain(info!.handle)
    expect(keyOf(jar)).not.toContain(info!.handle)
  })

  it('does not list a session whose data no longer holds the user (a logout by delete)', async () => {
    const made = perUserApp()
    const jar = await loggedIn(made, 'ada')
    const other = await loggedIn(made, 'ada')
    await jar.fetch('/forget-user', { method: 'POST' })
    expect((await made.store.load(keyOf(jar)))?.owner).toBe(ownerKeyOf('ada')) // still bound
    expect((await listOf(other)).map((info) => info.current)).toEqual([true])
  })
})

describe('sessions logged in before sessions per user', () => {
  it('are not listed until they log in again, which binds them', async () => {
    const made = perUserApp()
    made.app.post('/old-login', async (c) => {
      // What a login of the previous release stored: the user, no binding, no device details.
      await c.var.session.cycleId()
      await c.var.session.set('user', { id: 'ada', authHash: 'v1' })
      return c.text('ok')
    })
    const old = made.jar()
    await old.fetch('/old-login', { method: 'POST' })
    expect(await old.text('/me')).toBe('ada')
    expect(await listOf(old)).toEqual([])
    await old.fetch('/login/ada', { method: 'POST' })
    expect((await listOf(old)).map((info) => info.current)).toEqual([true])
  })
})

describe('revoking sessions', () => {
  it('revokeSession ends one session of the user by its handle: it is logged out on its next request', async () => {
    const made = perUserApp()
    const phone = await loggedIn(made, 'ada')
    const laptop = await loggedIn(made, 'ada')
    const phoneHandle = handleOf(keyOf(phone))
    expect(await (await laptop.fetch(`/revoke/${phoneHandle}`, { method: 'POST' })).json()).toBe(
      true
    )
    expect(await made.store.load(keyOf(phone))).toBeUndefined()
    expect(await phone.text('/me')).toBe('nobody')
    expect(await laptop.text('/me')).toBe('ada')
    // Now dead: revoking it again is false.
    expect(await (await laptop.fetch(`/revoke/${phoneHandle}`, { method: 'POST' })).json()).toBe(
      false
    )
  })

  it("revokeSession is false for another user's handle, garbage, or nobody logged in", async () => {
    const made = perUserApp()
    const ada = await loggedIn(made, 'ada')
    const bob = await loggedIn(made, 'bob')
    const bobsHandle = handleOf(keyOf(bob))
    for (const handle of [bobsHandle, 'garbage', 'x'.repeat(22), keyOf(bob)]) {
      const response = await ada.fetch(`/revoke/${encodeURIComponent(handle)}`, { method: 'POST' })
      expect(await response.json()).toBe(false)
    }
    const visitor = await made.jar().fetch(`/revoke/${bobsHandle}`, { method: 'POST' })
    expect(await visitor.json()).toBe(false)
    expect(await bob.text('/me')).toBe('bob')
  })

  it('revoking the current session by its handle logs this browser out', async () => {
    const made = perUserApp()
    const jar = await loggedIn(made, 'ada')
    const response = await jar.fetch(`/revoke/${handleOf(keyOf(jar))}`, { method: 'POST' })
    expect(await response.json()).toBe(true)
    expect(response.headers.get('set-cookie')).toMatch(/Max-Age=0/)
    expect(await jar.text('/me')).toBe('nobody')
  })

  it('revokeOtherSessions ends every other session of the user and keeps this one', async () => {
    const made = perUserApp()
    const others = [await loggedIn(made, 'ada'), await loggedIn(made, 'ada')]
    const bob = await loggedIn(made, 'bob')
    const kept = await loggedIn(made, 'ada')
    expect(await (await kept.fetch('/revoke-others', { method: 'POST' })).json()).toBe(2)
    for (const jar of others) expect(await jar.text('/me')).toBe('nobody')
    expect(await kept.text('/me')).toBe('ada')
    expect(await bob.text('/me')).toBe('bob')
    expect((await listOf(kept)).length).toBe(1)
  })

  it('sessionsOf and revokeUserSessions work outside a request', async () => {
    const made = perUserApp()
    const jars = [await loggedIn(made, 'ada', {}, 'One'), await loggedIn(made, 'ada', {}, 'Two')]
    const listed = await made.auth.sessionsOf(made.store, 'ada')
    expect(listed.map((info) => info.deviceName).sort()).toEqual(['One', 'Two'])
    expect(listed.every((info) => !info.current && info.createdAt instanceof Date)).toBe(true)
    expect(await made.auth.revokeUserSessions(made.store, 'ada')).toBe(2)
    for (const jar of jars) expect(await jar.text('/me')).toBe('nobody')
    expect(await made.auth.sessionsOf(made.store, 'ada')).toEqual([])
    expect(await made.auth.revokeUserSessions(made.store, 'ada')).toBe(0)
  })
})

describe('stores without an owner index', () => {
  it('refuses sessionsPerUser with CONFIG at the first login, naming the stores that can', async () => {
    const made = perUserApp({ store: new TestStore() })
    const response = await made.jar().fetch('/login/ada', { method: 'POST' })
    expect(await response.text()).toMatch(
      /createAuth\(\{ sessionsPerUser \}\) needs a store that keeps an index.*MemoryStore, SqliteStore/
    )
  })

  it('without sessionsPerUser, login works and binds nothing; listing and revoking are CONFIG', async () => {
    const store = new TestStore()
    const { auth, users } = testAuth()
    const app = sessionApp(loginSession, { store })
    app.post(
      '/login',
      async (c) => (await auth.login(c.var.session, users.get('ada')!), c.text('ok'))
    )
    const login = await app.request('/login', { method: 'POST' })
    expect(login.status).toBe(200)
    expect(store.inner.owners).toBe(0)
    for (const call of [auth.sessionsOf(store, 'ada'), auth.revokeUserSessions(store, 'ada')]) {
      expect(await rejectionOf(call)).toMatchObject({
        code: 'CONFIG',
        message: expect.stringMatching(/sessionsOf|revokeUserSessions/),
      })
    }
  })

  it('a fields schema that clashes with SessionInfo or a bad limit is CONFIG at createAuth', () => {
    const base = {
      definition: loginSession,
      userKey: 'user' as const,
      idOf: (user: { id: string }) => user.id,
      loadUser: () => undefined,
    }
    expect(() => createAuth({ ...base, sessionsPerUser: { limit: 0 } })).toThrow(
      /limit.*integer >= 1/
    )
    expect(() => createAuth({ ...base, sessionsPerUser: { whenFull: 'drop' as never } })).toThrow(
      /whenFull/
    )
    expect(() => createAuth({ ...base, sessionsPerUser: { ip: 'mask' as never } })).toThrow(/ip/)
    expect(() =>
      createAuth({ ...base, sessionsPerUser: { fields: { handle: 1 } as never } })
    ).toThrow(/z.object/)
    const clash = z.object({ handle: z.string() })
    expect(() => createAuth({ ...base, sessionsPerUser: { fields: clash } })).toThrow(
      /may not declare "handle": SessionInfo has it/
    )
  })
})

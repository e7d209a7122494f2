import { describe, expect, it } from 'vitest'
import { recordKeyOf } from 'typed-sessions'
import { loggedIn, perUserApp } from '../helpers/per-user-app.js'
import { idOfCookie } from '../helpers/stores.js'

// sessionsPerUser.limit at login, one login after the other (the concurrent logins are in the
// per-user concurrency suite).

const keyOf = (jar: { cookies: Map<string, string> }) =>
  recordKeyOf(idOfCookie(jar.cookies.get('id')!))

describe("sessionsPerUser.limit, whenFull: 'end-oldest'", () => {
  it('a login beyond the limit ends the session that logged in longest ago', async () => {
    const made = perUserApp({ sessionsPerUser: { limit: 2 } })
    const first = await loggedIn(made, 'ada')
    const second = await loggedIn(made, 'ada')
    const bob = await loggedIn(made, 'bob')
    const third = await loggedIn(made, 'ada') // within the same millisecond as the others, maybe
    expect(await first.text('/me')).toBe('nobody')
    expect(await second.text('/me')).toBe('ada')
    expect(await third.text('/me')).toBe('ada')
    expect(await bob.text('/me')).toBe('bob')
    expect((await made.auth.sessionsOf(made.store, 'ada')).length).toBe(2)
  })

  it('logging in again on a logged-in browser does not count that browser twice', async () => {
    const made = perUserApp({ sessionsPerUser: { limit: 2, whenFull: 'refuse' } })
    const other = await loggedIn(made, 'ada')
    const jar = await loggedIn(made, 'ada')
    const again = await jar.fetch('/login/ada', { method: 'POST' })
    expect(again.status).toBe(200)
    expect(await other.text('/me')).toBe('ada')
    expect((await made.auth.sessionsOf(made.store, 'ada')).length).toBe(2)
  })
})

describe("sessionsPerUser.limit, whenFull: 'refuse'", () => {
  it('refuses a login beyond the limit with SESSION_LIMIT, leaving the session as it was', async () => {
    const made = perUserApp({ sessionsPerUser: { limit: 2, whenFull: 'refuse' } })
    const first = await loggedIn(made, 'ada')
    await loggedIn(made, 'ada')
    const visitor = made.jar()
    await visitor.fetch('/count', { method: 'POST' })
    const cookie = visitor.cookies.get('id')
    const refused = await visitor.fetch('/login/ada', { method: 'POST' })
    expect(refused.status).toBe(409)
    expect(await refused.text()).toMatch(/already has 2 live sessions.*revokeSession/)
    expect(visitor.cookies.get('id')).toBe(cookie)
    expect((await made.store.load(keyOf(visitor)))?.data).toMatchObject({ counter: 1 })
    expect(await visitor.text('/me')).toBe('nobody')
    expect(await first.text('/me')).toBe('ada')
    // Once one session is signed out, a login is let in.
    await first.fetch('/logout', { method: 'POST' })
    expect((await visitor.fetch('/login/ada', { method: 'POST' })).status).toBe(200)
    expect(await visitor.text('/me')).toBe('ada')
  })

  it('the limit counts per user', async () => {
    const made = perUserApp({ sessionsPerUser: { limit: 1, whenFull: 'refuse' } })
    await loggedIn(made, 'ada')
    expect(await (await loggedIn(made, 'bob')).text('/me')).toBe('bob')
  })
})

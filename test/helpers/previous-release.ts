import { expect } from 'vitest'
import { ownerKeyOf, recordKeyOf } from 'typed-sessions'
import type { SessionStore } from 'typed-sessions'
import { CookieJar } from './http.js'
import { boundCounterApp } from './store-apps.js'
import { idOfCookie } from './stores.js'

/** A session as the previous release (main before sessions per user) stored it: no owner. */
export interface PreviousReleaseSession {
  version: number
  expiresAt: number
  createdAt: number
  schemaVersion: number
  token: string
  /** The session data as JSON text: `{"counter":41}`. */
  data: string
}

/**
 * A session the previous release wrote serves on after the upgrade, and is bound at its next
 * login: a visitor's session is made on `store`, `writeOld(key, session)` rewrites it as the
 * previous release stored it (counter 41, at version 4), `upgrade()` runs what the new release
 * asks for (its `migrate()`); the visitor's counter then goes on from 41, a login binds the
 * session, and `listOwner` lists it with its data.
 * @example await expectPreviousSessionCarriedOver(store, writeOldDocument, () => store.migrate())
 */
export async function expectPreviousSessionCarriedOver(
  store: SessionStore,
  writeOld: (key: string, session: PreviousReleaseSession) => Promise<void>,
  upgrade: () => Promise<void> = async () => {}
): Promise<void> {
  const jar = new CookieJar(boundCounterApp(store))
  expect(await jar.text('/count')).toBe('0')
  const now = Date.now()
  await writeOld(recordKeyOf(idOfCookie(jar.cookies.get('id')!)), {
    version: 4,
    expiresAt: now + 3_600_000,
    createdAt: now,
    schemaVersion: 1,
    token: 'previous-release',
    data: '{"counter":41}',
  })
  await upgrade()
  expect(await jar.text('/count')).toBe('41')
  expect(await jar.text('/count')).toBe('42')
  await jar.fetch('/login/ada', { method: 'POST' })
  expect(await jar.text('/count')).toBe('43')
  const listed = await store.listOwner!(ownerKeyOf('ada'))
  expect(listed.map((record) => [record.key, record.data])).toStrictEqual([
    [recordKeyOf(idOfCookie(jar.cookies.get('id')!)), { counter: 44 }],
  ])
}

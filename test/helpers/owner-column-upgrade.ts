import { expect } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import { makeRecord } from './store-conformance.js'

// What `migrate()` must do to a table of the release before sessions per user (see
// tables-before-owner.ts) that holds sessions. No Node API here: the D1 tests use it in workerd.

/** When the previous release wrote `sessionsBeforeOwner()`: one instant, so they compare. */
const WRITTEN_AT = Date.now()

/** The sessions a table of the previous release holds in the upgrade tests. */
export function sessionsBeforeOwner(): { live: SessionRecord[]; expired: SessionRecord } {
  const written = { createdAt: WRITTEN_AT, expiresAt: WRITTEN_AT + 3_600_000 }
  return {
    live: [
      makeRecord('anonymous', { ...written, data: { count: 7 } }),
      makeRecord('logged-in', {
        ...written,
        data: { user: 'ada' },
        token: 'token-1',
        expiry: { kind: 'onInactivity', seconds: 1800 },
        version: 4,
      }),
    ],
    expired: makeRecord('expired', { createdAt: WRITTEN_AT - 60_000, expiresAt: WRITTEN_AT - 1 }),
  }
}

/** Writes `sessionsBeforeOwner()`, live and expired, with `writeAsBefore`. */
export async function writeSessionsBefore(
  writeAsBefore: (record: SessionRecord) => Promise<unknown>
): Promise<void> {
  const { live, expired } = sessionsBeforeOwner()
  for (const record of [...live, expired]) await writeAsBefore(record)
}

/**
 * What `migrate()` must do to a table of the previous release holding `sessionsBeforeOwner()`
 * (run twice, to be sure): every live session loads and scans as it was written, none bound;
 * a save binds one, which `listOwner` then lists; `deleteExpired` still sweeps; and a process
 * of the previous release still running (a rolling deploy) can go on creating sessions, which
 * are unbound. `writeAsBefore` inserts a record as that release did.
 */
export async function expectUpgradedKeepingSessions(
  store: SessionStore & { migrate(): Promise<void> },
  writeAsBefore: (record: SessionRecord) => Promise<unknown>
): Promise<void> {
  const { live, expired } = sessionsBeforeOwner()
  await store.migrate()
  await store.migrate()
  for (const record of live) expect(await store.load(record.key)).toStrictEqual(record)
  const scanned: SessionRecord[] = []
  for await (const record of store.scan!()) scanned.push(record)
  expect(scanned).toStrictEqual(live)

  const ada = ownerKeyOf('ada')
  const loggedIn = { ...live[1]!, owner: ada, version: 5 }
  expect(await store.listOwner!(ada)).toStrictEqual([])
  expect(await store.save(loggedIn, 4)).toBe(true)
  expect(await store.load(loggedIn.key)).toStrictEqual(loggedIn)
  expect(await store.listOwner!(ada)).toStrictEqual([loggedIn])

  expect(await store.deleteExpired!()).toBe(1)
  expect(await store.load(expired.key)).toBeUndefined()

  const fromOldProcess = makeRecord('from-previous-release', { token: 'token-2' })
  await writeAsBefore(fromOldProcess)
  expect(await store.load(fromOldProcess.key)).toStrictEqual(fromOldProcess)
  expect(await store.listOwner!(ada)).toStrictEqual([loggedIn])
}

import { expect } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import { rowValues } from '../../src/stores/sql-support.js'
import { makeRecord } from './store-conformance.js'

// The session tables as the release before sessions per user created them (its schemas/*.sql):
// with the `token` column, without the `owner` column and its index, which `migrate()` adds.
// No Node API here: the D1 tests use it inside workerd.

/** SQLite's (libSQL's, D1's) table `table` with its expiry index, one statement each. */
export function sqliteTableBeforeOwner(table = 'sessions'): string[] {
  return [
    `CREATE TABLE "${table}" (
      key TEXT NOT NULL PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
      version INTEGER NOT NULL, schema_version INTEGER NOT NULL, expiry TEXT, token TEXT,
      data TEXT NOT NULL)`,
    `CREATE INDEX "${table}_expires_at" ON "${table}" (expires_at)`,
  ]
}

/** PostgreSQL's table, `table` quoted and qualified (`"schema"."name"`), and its expiry index. */
export function postgresTableBeforeOwner(table: string, indexName: string): string {
  return `CREATE TABLE ${table} (
      key TEXT COLLATE "C" PRIMARY KEY, data JSONB NOT NULL, created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL, version INTEGER NOT NULL, schema_version INTEGER NOT NULL,
      expiry JSONB NULL, token TEXT NULL);
    CREATE INDEX "${indexName}" ON ${table} (expires_at)`
}

/** MySQL's table `table`. */
export function mySqlTableBeforeOwner(table: string): string {
  return `CREATE TABLE \`${table}\` (
    \`key\` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    \`data\` LONGTEXT NOT NULL, \`created_at\` BIGINT NOT NULL, \`expires_at\` BIGINT NOT NULL,
    \`version\` INT NOT NULL, \`schema_version\` INT NOT NULL, \`expiry\` TEXT NULL,
    \`token\` VARCHAR(255) NULL,
    PRIMARY KEY (\`key\`), KEY \`expires_at\` (\`expires_at\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
}

/** The columns the previous release wrote, in the order of `valuesBeforeOwner`. */
export const COLUMNS_BEFORE_OWNER =
  'key, data, created_at, expires_at, version, schema_version, expiry, token'

/** What the previous release's `create` bound for `record`, in `COLUMNS_BEFORE_OWNER` order. */
export function valuesBeforeOwner(record: SessionRecord): unknown[] {
  return rowValues(record).slice(0, 8)
}

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

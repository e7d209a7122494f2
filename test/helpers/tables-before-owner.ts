import type { SessionRecord } from '../../src/core/store.js'
import { rowValues } from '../../src/stores/sql-support.js'

// The session tables as the release before sessions per user created them (its schemas/*.sql):
// with the `token` column, without the `owner` column and its index, which `migrate()` adds.
// No Node API and no test runner here: the D1 tests use it inside workerd, the Bun run on Bun.

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

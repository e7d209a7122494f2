import { SessionError, isSessionError } from '../core/errors.js'

/*
 * A store whose table (or collection) was never created, or lacks a column of this version,
 * fails every call until someone creates it: a setup step not done. It is `CONFIG`, which says
 * what to run, never `STORE_UNAVAILABLE`, which tells the application to answer 503 and retry
 * (a retry that can never succeed). Each store recognizes its driver's error and says its fix.
 */

/** The fix of the stores with a `migrate()` (the SQL stores, SurrealStore). */
export function runMigrate(schemaFile?: string): string {
  const apply = schemaFile === undefined ? '' : `, or apply ${schemaFile} yourself`
  return `Run \`await store.migrate()\` once before the store serves requests (at start-up or in a deploy step)${apply}.`
}

/**
 * `SessionError` `CONFIG` for a call that failed because `table` is missing (or, for a store
 * whose `migrate()` adds columns to older tables, lacks one), the driver's error as `cause`;
 * `fix` says how to create it.
 */
export function missingTable(
  store: string,
  table: string,
  fix: string,
  cause: unknown,
  { columns = true }: { columns?: boolean } = {}
): SessionError {
  const problem = columns ? 'does not exist, or lacks a column of this version' : 'does not exist'
  return new SessionError('CONFIG', `${store}: the table ${table} ${problem}. ${fix}`, { cause })
}

/**
 * Whether a SQLite-dialect error (better-sqlite3, node:sqlite, bun:sqlite, libSQL, D1) says
 * that the table or one of its columns is missing. Their messages carry SQLite's own text:
 * "no such table: t", "no such column: token", "table t has no column named token".
 */
export function isMissingSqliteTable(error: unknown): boolean {
  // A SessionError is the store's own verdict (a corrupt row, whose JSON error quotes the row).
  if (isSessionError(error)) return false
  for (let cause = error, depth = 0; cause instanceof Error && depth < 3; depth++) {
    if (/no such table|no such column|has no column named/i.test(cause.message)) return true
    cause = cause.cause
  }
  return false
}

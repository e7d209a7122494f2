import { expect } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionStore } from '../../src/core/store.js'
import { migrateStore } from '../../src/schema/migrate-store.js'
import { counterSession } from '../../schemas/counter.js'
import { makeRecord } from './store-conformance.js'

/** 2^62: an integer SQLite holds, and no JavaScript number can carry exactly. */
export const BEYOND_SAFE_INTEGERS = '4611686018427387904'

/** The integer columns of the SQLite-dialect session table. */
const INTEGER_COLUMNS = ['created_at', 'expires_at', 'version', 'schema_version'] as const

/**
 * A SQLite-dialect session table (SQLite, libSQL, D1) whose rows each hold one integer beyond
 * 2^53: each row is invalid stored data (`load` throws `INVALID_STORED_DATA`, the engine's
 * `onInvalid` drops it), while `scan` and `migrateStore` go on over the rest of the table,
 * instead of a driver's RangeError failing every read of the row and of any batch holding it.
 * `execute` runs one SQL statement on the store's table, named `table`.
 */
export async function expectOutOfRangeRowsInvalid(
  store: SessionStore,
  table: string,
  execute: (sql: string) => Promise<unknown>
): Promise<void> {
  const good = makeRecord('good', { schemaVersion: 1, data: { counter: 3 } })
  expect(await store.create(good)).toBe(true)
  for (const column of INTEGER_COLUMNS) {
    const record = makeRecord(`huge-${column}`, { schemaVersion: 1 })
    expect(await store.create(record)).toBe(true)
    await execute(
      `UPDATE "${table}" SET ${column} = ${BEYOND_SAFE_INTEGERS} WHERE key = '${record.key}'`
    )
  }

  for (const column of INTEGER_COLUMNS) {
    const error = await store.load(`huge-${column}`).catch((e: unknown) => e)
    expect(isSessionError(error) && error.code, column).toBe('INVALID_STORED_DATA')
  }
  expect(await store.load('good')).toStrictEqual(good)
  const scanned: string[] = []
  for await (const record of store.scan!({ batchSize: 2 })) scanned.push(record.key)
  expect(scanned).toStrictEqual(['good'])
  const report = await migrateStore(counterSession, store)
  expect(report).toMatchObject({ scanned: 1, current: 1 })
}

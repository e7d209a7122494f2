import { expect } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionStore } from '../../src/core/store.js'
import { makeRecord } from './store-conformance.js'

/** The `SessionError` code, message and cause an operation failed with, or what it resolved to. */
async function outcomeOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run()
  } catch (error) {
    if (!isSessionError(error)) return error
    return { code: error.code, message: error.message, hasCause: error.cause !== undefined }
  }
}

/**
 * A store whose table (or collection) was never created fails every call with `CONFIG` whose
 * message matches `fix` (a setup step to do, not an outage to wait out), keeping the driver's
 * error as `cause`; once `setUp` ran, the same store instance works (no failed statement
 * stays cached). With `writesCreateTheTable` (SurrealDB, whose `UPSERT` creates a missing
 * table), only the calls that cannot create it are expected to fail; with `lacksTokenColumn`
 * (a table of an earlier version, without `token` or `owner`), only the calls that read or
 * write a column (`delete` and `deleteExpired` name none).
 */
export async function expectSetupStepNamed(
  store: SessionStore,
  fix: RegExp,
  setUp: () => Promise<void>,
  options: { writesCreateTheTable?: boolean; lacksTokenColumn?: boolean } = {}
): Promise<void> {
  const { writesCreateTheTable = false, lacksTokenColumn = false } = options
  const record = makeRecord(`before-setup-${crypto.randomUUID()}`)
  const operations: [string, () => Promise<unknown>][] = [
    ['load', () => store.load(record.key)],
    ['save with expectedVersion', () => store.save({ ...record, version: 1 }, 0)],
  ]
  if (!writesCreateTheTable) {
    operations.push(['create', () => store.create(record)], ['save', () => store.save(record)])
  }
  if (!lacksTokenColumn) operations.push(['delete', () => store.delete(record.key)])
  if (store.deleteExpired !== undefined && !lacksTokenColumn) {
    const deleteExpired = store.deleteExpired.bind(store)
    operations.push(['deleteExpired', () => deleteExpired()])
  }
  if (store.scan !== undefined) {
    const scan = store.scan.bind(store)
    operations.push(['scan', () => scan()[Symbol.asyncIterator]().next()])
  }
  if (store.listOwner !== undefined) {
    const listOwner = store.listOwner.bind(store)
    operations.push(['listOwner', () => listOwner(ownerKeyOf('before-setup'))])
  }
  for (const [operation, run] of operations) {
    expect(await outcomeOf(run), operation).toStrictEqual({
      code: 'CONFIG',
      message: expect.stringMatching(fix),
      hasCause: true,
    })
  }

  await setUp()
  expect(await store.create(record)).toBe(true)
  expect(await store.load(record.key)).toStrictEqual(record)
  expect(await store.save({ ...record, version: 1 }, 0)).toBe(true)
}

/** What the SQL stores and SurrealStore say: run `store.migrate()`. */
export const RUN_MIGRATE = /run `await store\.migrate\(\)`/i

import { isSessionError } from '../core/errors.js'
import type { SessionRecord, SessionStore } from '../core/store.js'
import { expect } from './runner.js'

/**
 * Copies the raw stored value of the record at key `from` to where the record of key `to` lives,
 * as a restore from a backup, Redis `COPY`/`RENAME` or a copied file would: the value is not
 * changed, so whatever key is written inside it still names `from`.
 */
export type CopyStoredValue = (from: string, to: string) => Promise<void>

/**
 * A value copied under another key is the record of the key it is stored under: it loads with
 * that key (or, in a store that binds each value to its key, as invalid stored data), and a
 * compare-and-set save of it writes there, never into the record it was copied from. A store
 * that took the key from inside the value would redirect one session's writes into another's.
 */
export async function expectCopiedValueStaysUnderItsKey(
  store: SessionStore,
  copyStoredValue: CopyStoredValue,
  original: SessionRecord,
  copyKey: string
): Promise<void> {
  expect(await store.create(original)).toBe(true)
  await copyStoredValue(original.key, copyKey)

  const loaded = await store.load(copyKey).catch((error: unknown) => error)
  if (isSessionError(loaded) && loaded.code === 'INVALID_STORED_DATA') {
    expect(await store.load(original.key)).toStrictEqual(original)
    return
  }
  const copy = loaded as SessionRecord
  expect(copy).toStrictEqual({ ...original, key: copyKey })

  const saved = { ...copy, data: { written: 'through the copy' }, version: copy.version + 1 }
  expect(await store.save(saved, copy.version)).toBe(true)
  expect(await store.load(copyKey)).toStrictEqual(saved)
  expect(await store.load(original.key)).toStrictEqual(original)

  if (store.scan === undefined) return
  const scanned = new Map<string, SessionRecord>()
  for await (const record of store.scan()) {
    if (record.key === original.key || record.key === copyKey) scanned.set(record.key, record)
  }
  expect(scanned).toStrictEqual(
    new Map([
      [original.key, original],
      [copyKey, saved],
    ])
  )
}

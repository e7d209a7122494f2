import type { LmdbDatabase } from './lmdb-store.js'

/*
 * The LmdbStore's owner index (DESIGN.md §12): one empty entry per bound record, keyed
 * "!" + owner + " " + record key, in the store's own database. Those keys sort before every
 * record key (a record key is base64url, whose characters all sort after '"'), so `scan` and
 * `deleteExpired` start past them, and a listing is one range read over the owner's prefix. The
 * keys are printable on purpose: lmdb's key encoding reads control characters (a NUL) as the
 * parts of an array key. An entry is written, moved or removed in the same LMDB write as its
 * record, conditional on the record's version (`ifVersion`, `ifNoExists`), so no process ever
 * sees one without the other: an entry cannot outlive its record.
 */

const INDEX = '!'
/** Where record keys start: past every index entry. */
export const RECORDS_START = '"'

/** The index entry of `key` under `owner`. */
function entryKey(owner: string, key: string): string {
  return `${INDEX}${owner} ${key}`
}

/** The range of `owner`'s index entries; each key is `start` followed by the record key. */
export function ownerRange(owner: string): { start: string; end: string } {
  return { start: `${INDEX}${owner} `, end: `${INDEX}${owner}!` }
}

/** What the store knows of the entry it replaces: LMDB's version, and the owner it holds. */
export interface CurrentEntry {
  version: number
  owner?: string | undefined
}

/** The record entry to write: its JSON, version and owner. */
export interface NextEntry {
  value: string
  version: number
  owner?: string | undefined
}

/**
 * Replaces `current` (absent: the key is free) by `next` (absent: a removal), with its index
 * entries, in one LMDB write that happens only if the key is still at `current`'s version (or
 * still absent): `false` when it was not. A write that leaves the owner as it was is the single
 * conditional put or remove it was before the index, so a returning visitor pays nothing more.
 */
export function writeEntry(
  db: LmdbDatabase,
  key: string,
  current: CurrentEntry | undefined,
  next: NextEntry | undefined
): Promise<boolean> {
  const from = current?.owner
  const to = next?.owner
  const writes = () => {
    if (from !== undefined && from !== to) void db.remove(entryKey(from, key))
    if (next === undefined) void db.remove(key)
    else void db.put(key, next.value, next.version)
    if (to !== undefined && to !== from) void db.put(entryKey(to, key), '', 0)
  }
  if (current === undefined) return db.ifNoExists(key, writes)
  if (from !== to) return db.ifVersion(key, current.version, writes)
  if (next === undefined) return db.remove(key, current.version)
  return db.put(key, next.value, next.version, current.version)
}

/** How many index entries `owner` has, expired records' included: for tests and diagnostics. */
export function ownerIndexEntriesOf(db: LmdbDatabase, owner: string): number {
  return Array.from(db.getRange(ownerRange(owner))).length
}

import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { corruptRecord } from '../../core/errors.js'
import { decodeRecord, type StoredFields } from '../stored-record.js'
import type { SessionRecord } from '../../core/store.js'

/*
 * The on-disk format of FileStore: which file names are records and temporary files, how a
 * record key becomes a file name, how a record becomes the file's text and back, and how such
 * a file is read, written (mode 0600) and removed.
 */

/** The mode of the files FileStore creates (records, temporary files, locks): the owner's alone. */
export const PRIVATE_FILE_MODE = 0o600

/** A record's file: `<hex SHA-256 of the record key>.json`. */
export const RECORD_FILE = /^[0-9a-f]{64}\.json$/
/** Temporary files are `<hash>.<uuid>.tmp`: a crash between write and rename leaves one. */
export const TEMPORARY_FILE = /^[0-9a-f]{64}\.[0-9a-f-]{36}\.tmp$/

/** The `code` of a Node file-system error (`ENOENT`, `EEXIST`, …) or of a `SessionError`. */
export function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code
}

/** The file name of a record key: the hex SHA-256 of it (safe on every file system, any case). */
export async function fileNameOf(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** The file's text for a record. */
export function encode(record: SessionRecord): string {
  return JSON.stringify({
    key: record.key,
    version: record.version,
    expiresAt: record.expiresAt,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    expiry: record.expiry,
    token: record.token,
    owner: record.owner,
    data: record.data,
  })
}

/**
 * The record in a file's text; `corruptRecord` if it is not one (truncated, edited by hand) or
 * if it holds the record of another key: a file is named by a one-way hash of its key, so the
 * key inside it is checked against the key it was read for, never taken from it unchecked.
 */
export function decode(key: string, text: string): SessionRecord {
  let stored: StoredFields & { key?: unknown }
  try {
    stored = JSON.parse(text) as StoredFields & { key?: unknown }
    if (stored.key !== key) throw new TypeError('the file holds the record of another key')
  } catch (cause) {
    throw corruptRecord(key, cause)
  }
  return decodeRecord(key, stored)
}

/** The record of `key` in the file at `path`, or `undefined` if there is none. */
export async function readRecordFile(
  path: string,
  key: string
): Promise<SessionRecord | undefined> {
  try {
    return decode(key, await readFile(path, 'utf8'))
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw error
  }
}

/**
 * The record in the listed `file` at `path`, whatever its key, or `undefined` if it is gone: the
 * key inside must hash to the file's name, else the file is `corruptRecord`.
 */
export async function readListedFile(
  path: string,
  file: string
): Promise<SessionRecord | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw error
  }
  const key = (() => {
    try {
      return (JSON.parse(text) as { key?: unknown }).key
    } catch {
      return undefined
    }
  })()
  if (typeof key !== 'string' || (await fileNameOf(key)) !== file.slice(0, 64)) {
    throw corruptRecord(file)
  }
  return decode(key, text)
}

/**
 * Writes `record` to `temporary` (created exclusively, 0600), then renames it over `path`; with
 * `sync`, flushed to the disk before the rename.
 */
export async function writeRecordFile(
  path: string,
  temporary: string,
  record: SessionRecord,
  sync: boolean
): Promise<void> {
  try {
    if (sync) {
      // Flushed before the rename: after a crash the file is the old record or the new one,
      // never an empty or partial file (which rename alone allows on some file systems).
      const handle = await open(temporary, 'wx', PRIVATE_FILE_MODE)
      try {
        await handle.writeFile(encode(record))
        await handle.sync()
      } finally {
        await handle.close()
      }
    } else {
      await writeFile(temporary, encode(record), { flag: 'wx', mode: PRIVATE_FILE_MODE })
    }
    await rename(temporary, path)
  } catch (error) {
    await removeFile(temporary).catch(() => undefined)
    throw error
  }
}

/** Removes the file at `path`; a missing one is not an error. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error
  }
}

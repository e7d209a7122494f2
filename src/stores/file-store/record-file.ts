import { corruptRecord } from '../../core/errors.js'
import { decodeRecord, type StoredFields } from '../stored-record.js'
import type { SessionRecord } from '../../core/store.js'

/*
 * The on-disk format of FileStore: which file names are records and temporary files, how a
 * record key becomes a file name, and how a record becomes the file's text and back.
 */

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

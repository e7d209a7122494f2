import type { RecordId } from 'surrealdb'
import type { SessionRecord } from '../core/store.js'
import { decodeRecord } from './stored-record.js'

// SurrealStore's records: what it writes into `<table>:⟨key⟩` and how it reads them back.

/** The fields of a stored session; the record key is the id's key part (`sessions:⟨key⟩`). */
export interface SessionDocument {
  id: RecordId
  version: number
  expiresAt: number
  createdAt: number
  schemaVersion: number
  expiry?: unknown
  token?: string
  /** The owner key of the user the session is bound to, indexed by `<table>_owner`. */
  owner?: string
  /** The session data as JSON text: exact (no numeric or `__proto__` surprises) and opaque. */
  data: string
}

/** What `CONTENT` writes: every field but `id`, which the statement's record id gives. */
export function contentOf(record: SessionRecord): Omit<SessionDocument, 'id'> {
  const content: Omit<SessionDocument, 'id'> = {
    version: record.version,
    expiresAt: record.expiresAt,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    data: JSON.stringify(record.data),
  }
  if (record.expiry !== undefined) content.expiry = { ...record.expiry }
  if (record.token !== undefined) content.token = record.token
  if (record.owner !== undefined) content.owner = record.owner
  return content
}

/**
 * The record of a document, under `key` (the key part of its record id); a document it cannot
 * decode throws `corruptRecord`.
 */
export function recordOf(key: string, document: SessionDocument): SessionRecord {
  return decodeRecord(key, {
    data: document.data,
    createdAt: document.createdAt,
    expiresAt: document.expiresAt,
    version: document.version,
    schemaVersion: document.schemaVersion,
    expiry: document.expiry,
    token: document.token,
    owner: document.owner,
  })
}

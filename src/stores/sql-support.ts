import { SessionError } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'

/**
 * A table or schema name the SQL stores accept: a plain identifier, so it can be quoted into
 * DDL and queries without any way to inject SQL through options.
 */
export function checkIdentifier(name: unknown, option: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new SessionError(
      'CONFIG',
      `${option} must be a plain SQL identifier (letters, digits and _, not starting with a digit, at most 63 characters), got ${JSON.stringify(name)}.`
    )
  }
  return name
}

/** One row of a SQL session table, as drivers return it (numbers may come back as strings). */
export interface SessionRow {
  key: string
  data: string | JsonObject
  created_at: number | string | bigint
  expires_at: number | string | bigint
  version: number | string | bigint
  schema_version: number | string | bigint
  expiry: string | object | null
}

/** A `SessionRecord` from a row; `expiry` only when the row holds one. */
export function recordFromRow(row: SessionRow): SessionRecord {
  const record: SessionRecord = {
    key: row.key,
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as JsonObject) : row.data,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    version: Number(row.version),
    schemaVersion: Number(row.schema_version),
  }
  const expiry = parseExpiry(typeof row.expiry === 'string' ? JSON.parse(row.expiry) : row.expiry)
  if (expiry !== undefined) record.expiry = expiry
  return record
}

/** The column values of a record, JSON as text, in the column order of the SQL tables. */
export function rowValues(
  record: SessionRecord
): [string, string, number, number, number, number, string | null] {
  return [
    record.key,
    JSON.stringify(record.data),
    record.createdAt,
    record.expiresAt,
    record.version,
    record.schemaVersion,
    record.expiry === undefined ? null : JSON.stringify(record.expiry),
  ]
}

import { SessionError } from '../core/errors.js'
import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'
import { decodableRecords, decodeRecord, encodeJson } from './stored-record.js'

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
  token: string | null
  owner: string | null
}

/**
 * A `SessionRecord` from a row, its key the row's key column; `expiry`, `token` and `owner` only
 * when the row holds them. A row that cannot be decoded throws `corruptRecord` (`INVALID_STORED_DATA`).
 */
export function recordFromRow(row: SessionRow): SessionRecord {
  return decodeRecord(String(row.key), {
    data: row.data,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    version: row.version,
    schemaVersion: row.schema_version,
    expiry: row.expiry,
    token: row.token,
    owner: row.owner,
  })
}

/** The records of a `scan` batch, without the rows that cannot be decoded. */
export function recordsFromRows(rows: readonly SessionRow[]): SessionRecord[] {
  return decodableRecords(rows, recordFromRow)
}

/**
 * How many versions a 32-bit `INTEGER` version column (PostgreSQL, MySQL) tells apart: a
 * version is stored modulo this (`columnVersion`). Compare-and-set stays exact, since each save
 * still changes the stored value, and only 2^31 saves of one session between a request's load
 * and its save could make an old version match again; a record at 2^31 - 1 saves on (to 0)
 * instead of failing every save as out of range.
 */
export const INT_COLUMN_VERSIONS = 2 ** 31

/** A version as a column that tells `versions` versions apart holds it. */
export function columnVersion(version: number, versions = Infinity): number {
  return version < versions ? version : version % versions
}

/**
 * The column values of a record, JSON as text, in the column order of the SQL tables'
 * `COLUMNS`; its version as `columnVersion(version, versions)`.
 */
export function rowValues(
  record: SessionRecord,
  versions?: number
): [string, string, number, number, number, number, string | null, string | null, string | null] {
  return [
    record.key,
    encodeJson(record.data),
    record.createdAt,
    record.expiresAt,
    columnVersion(record.version, versions),
    record.schemaVersion,
    record.expiry === undefined ? null : JSON.stringify(record.expiry),
    record.token ?? null,
    record.owner ?? null,
  ]
}

import type { Expiry } from './expiry.js'
import type { SessionRecord } from './store.js'

/** What the engine keeps of the live record its data is based on: the `stored` state. */
export interface StoredRecord {
  readonly kind: 'stored'
  readonly key: string
  readonly createdAt: number
  readonly version: number
  readonly expiresAt: number
  readonly schemaVersion: number
  /** The per-session expiry the record holds (parsed), if any. */
  readonly expiry: Expiry | undefined
  /** The owner key the record is bound to, if any. */
  readonly owner: string | undefined
}

/**
 * Where one request's session stands with respect to its stored record: one explicit state
 * instead of flags (`loaded`, `loading`, `stored`, `lostTo`, `movedFrom`) whose combinations had
 * to be kept consistent by hand.
 * - `unloaded`: the record (if the cookie named one) has not been asked for yet.
 * - `loading`: a load is under way; concurrent callers share `done`.
 * - `none`: loaded, and no record is under the data: a first visit, an unknown or expired id,
 *   or a session this request flushed. A save creates a record under a fresh id.
 * - `stored`: loaded, the data is based on the live record whose metadata it holds. A save is a
 *   compare-and-set against its version (or a move, after `cycleId`).
 * - `lost`: the session ended under this request, which then saves nothing: `'logout'` when a
 *   concurrent request flushed it (or it expired meanwhile), `'login'` when a concurrent
 *   `cycleId` moved it away; `movedFrom` is the record key the load found moved, which a later
 *   `flush` follows to end the session where it went.
 */
export type SessionState =
  | { readonly kind: 'unloaded' }
  | { readonly kind: 'loading'; readonly done: Promise<void> }
  | { readonly kind: 'none' }
  | StoredRecord
  | {
      readonly kind: 'lost'
      readonly to: 'logout' | 'login'
      readonly movedFrom?: string | undefined
    }

export const UNLOADED: SessionState = Object.freeze({ kind: 'unloaded' })
export const NONE: SessionState = Object.freeze({ kind: 'none' })

/** The `stored` state of a live record (`expiry` already parsed by the caller). */
export function storedState(record: SessionRecord, expiry: Expiry | undefined): StoredRecord {
  return {
    kind: 'stored',
    key: record.key,
    createdAt: record.createdAt,
    version: record.version,
    expiresAt: record.expiresAt,
    schemaVersion: record.schemaVersion,
    expiry,
    owner: record.owner,
  }
}

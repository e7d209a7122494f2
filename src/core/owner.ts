import { sha256Base64url } from './crypto.js'
import { SessionError } from './errors.js'
import type { SessionStore } from './store.js'

/*
 * Sessions per user (DESIGN.md §12). A session is bound to a user by its record's `owner`: the
 * owner key of the user id, a hash, so that it fits any store's key syntax (a file name, a Redis
 * key, a Durable Object name), has a fixed length, and an index entry does not spell the user
 * id. A handle is what a page may show of a session: a hash of its record key (itself a hash of
 * the id), so no cookie can be made from it.
 */

const OWNER_LABEL = 'typed-sessions owner\0'
const HANDLE_LABEL = 'typed-sessions handle\0'
/** A handle keeps 128 bits of its hash: 22 base64url characters. */
const HANDLE_LENGTH = 22
const OWNER_KEY = /^[A-Za-z0-9_-]{43}$/
const HANDLE = /^[A-Za-z0-9_-]{22}$/

/**
 * The stores that keep an owner index (`listOwner`), named by the errors of the stores that
 * cannot. A `CachingStore` has one when its backing store does.
 */
export const OWNER_INDEX_STORES =
  'MemoryStore, SqliteStore, LibsqlStore, PostgresStore, MySqlStore, RedisStore, DynamoDbStore, MongoStore, SurrealStore, LmdbStore, FileStore, D1Store, DenoKvStore, DurableObjectStore with its owners option (or a CachingStore over one of them)'

/**
 * The owner key of a user id: base64url SHA-256 of `"typed-sessions owner\0" + userId`,
 * 43 characters. It is what `SessionRecord.owner` holds and `SessionStore.listOwner` looks up.
 * @throws SessionError `INVALID_VALUE` for a user id that is not a non-empty string
 * @example const records = await store.listOwner?.(ownerKeyOf(user.id))
 */
export function ownerKeyOf(userId: string): string {
  if (typeof userId !== 'string' || userId === '') {
    throw new SessionError(
      'INVALID_VALUE',
      `A user id must be a non-empty string to bind sessions to it; got ${userId === '' ? 'an empty string' : typeof userId}. Pass String(id) for a numeric id.`
    )
  }
  return sha256Base64url(OWNER_LABEL + userId)
}

/**
 * The handle of a record key: base64url SHA-256 of `"typed-sessions handle\0" + recordKey`, its
 * first 22 characters (128 bits). Opaque, stable for the life of the record key, and safe to
 * show in a page: it is a hash of a hash of the session id, so no cookie can be made from it.
 * @example const handle = handleOf(record.key)
 */
export function handleOf(recordKey: string): string {
  return sha256Base64url(HANDLE_LABEL + recordKey).slice(0, HANDLE_LENGTH)
}

/** True for a string shaped like an owner key (what `ownerKeyOf` returns). */
export function isOwnerKey(value: unknown): value is string {
  return typeof value === 'string' && OWNER_KEY.test(value)
}

/** True for a string shaped like a handle (what `handleOf` returns); garbage is never one. */
export function isHandle(value: unknown): value is string {
  return typeof value === 'string' && HANDLE.test(value)
}

/**
 * The `CONFIG` error of a store without an owner index, for `what` (e.g. "bind()"): why the
 * stores without one cannot keep it, and which stores to use instead (on Cloudflare, D1Store or
 * a DurableObjectStore with its `owners` binding).
 */
export function noOwnerIndex(what: string): SessionError {
  return new SessionError(
    'CONFIG',
    `${what} needs a store that keeps an index of sessions per user, and this one has none (it has no listOwner(): Workers KV, unstorage and the CookieStore cannot keep one atomically with the records; a DurableObjectStore keeps one given a SessionOwnerDirectory binding, new DurableObjectStore(env.SESSIONS, { owners: env.SESSION_OWNERS })). Use one of: ${OWNER_INDEX_STORES}.`
  )
}

/**
 * Refuses an `ownerKey` that `bind` cannot write: one `ownerKeyOf` did not make
 * (`INVALID_VALUE`), or any on a store without an owner index (`CONFIG`).
 */
export function checkBindable(ownerKey: string, store: SessionStore): void {
  if (!isOwnerKey(ownerKey)) {
    throw new SessionError(
      'INVALID_VALUE',
      'bind() takes an owner key, ownerKeyOf(userId) (43 base64url characters), or undefined to unbind.'
    )
  }
  if (typeof store.listOwner !== 'function') throw noOwnerIndex('Binding a session')
}

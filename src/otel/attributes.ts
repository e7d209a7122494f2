import type { SessionStore } from '../core/store.js'

/*
 * Attribute names. The `db.*` and `error.type` ones are OpenTelemetry's semantic conventions for
 * database clients (copied, as the conventions advise, rather than importing the
 * semantic-conventions package at run time); the `typed_sessions.*` ones are this library's own.
 * None holds a session id, a record key, a cookie value or session data: telemetry often leaves
 * the company, and a stable per-session value would also make every metric series unbounded.
 */

export const DB_SYSTEM_NAME = 'db.system.name'
export const DB_OPERATION_NAME = 'db.operation.name'
export const DB_COLLECTION_NAME = 'db.collection.name'
export const DB_RESPONSE_RETURNED_ROWS = 'db.response.returned_rows'
export const ERROR_TYPE = 'error.type'

/** A `create` that found its key taken, or a compare-and-set `save` that met another version. */
export const STORE_APPLIED = 'typed_sessions.store.applied'
/** True on a `save` with an expected version (a compare-and-set). */
export const STORE_COMPARE_AND_SET = 'typed_sessions.store.compare_and_set'
export const SAVE_ATTEMPT = 'typed_sessions.save.attempt'
export const SAVE_OUTCOME = 'typed_sessions.save.outcome'
export const RECORD_BYTES = 'typed_sessions.record.bytes'
export const RECORD_VERSION = 'typed_sessions.record.version'
export const END_REASON = 'typed_sessions.end_reason'
export const EXPIRED_VIA = 'typed_sessions.expired_via'
export const INVALID_REASON = 'typed_sessions.invalid_reason'
export const DECISION = 'typed_sessions.decision'

/** `error.type` of a store call that did not settle within the request's `storeTimeout`. */
export const TIMEOUT = 'timeout'

/**
 * The `db.system.name` of the bundled stores: the conventions' registered value where there is
 * one (`postgresql`, `aws.dynamodb`, …), else a plain name of what holds the records.
 */
const SYSTEMS: Readonly<Record<string, string>> = {
  PostgresStore: 'postgresql',
  MySqlStore: 'mysql',
  SqliteStore: 'sqlite',
  LibsqlStore: 'sqlite',
  RedisStore: 'redis',
  MongoStore: 'mongodb',
  DynamoDbStore: 'aws.dynamodb',
  SurrealStore: 'surrealdb',
  D1Store: 'cloudflare.d1',
  KvStore: 'cloudflare.workers_kv',
  DurableObjectStore: 'cloudflare.durable_objects',
  DenoKvStore: 'deno.kv',
  LmdbStore: 'lmdb',
  FileStore: 'file',
  UnstorageStore: 'unstorage',
  MemoryStore: 'memory',
  CachingStore: 'caching',
}

/**
 * The `db.system.name` of `store`: that of the nearest class in its prototype chain that is one
 * of the bundled stores (a subclass counts as its store), else the class name without `Store`,
 * lower case (`AcmeStore` → `acme`), else `other`.
 */
export function dbSystemOf(store: SessionStore): string {
  let own: string | undefined
  for (let proto = Object.getPrototypeOf(store); proto !== null && proto !== Object.prototype;) {
    const name = (proto.constructor as { name?: unknown } | undefined)?.name
    if (typeof name === 'string') {
      if (Object.hasOwn(SYSTEMS, name)) return SYSTEMS[name]!
      own ??= name
    }
    proto = Object.getPrototypeOf(proto)
  }
  const plain = own?.replace(/Store$/, '').toLowerCase()
  return plain === undefined || plain === '' ? 'other' : plain
}

/**
 * The `error.type` of a failure: its string `code` (a driver's, such as `ECONNREFUSED`, or a
 * `SessionError`'s), else its name; for a store's `STORE_UNAVAILABLE` that wraps what failed,
 * the type of that.
 */
export function errorTypeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: unknown }
    if (code === 'STORE_UNAVAILABLE' && cause !== undefined) return errorTypeOf(cause)
    if (typeof code === 'string' && code !== '') return code
    if (typeof name === 'string' && name !== '') return name
  }
  return '_OTHER'
}

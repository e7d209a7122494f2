import { SessionError, isSessionError } from '../core/errors.js'

/** Options of `CachingStore`. */
export interface CachingStoreOptions {
  /**
   * The longest time, in milliseconds, that a record is served from the cache without asking the
   * backing store, counted from the start of the backing store call that produced the cached
   * copy (a write, or a load that missed). A write or a logout made through another instance
   * with a cache of its own (or straight in the backing store) is seen here within that time.
   * `0` asks the backing store on every load; `Infinity` serves a copy until the record expires
   * or the cache evicts it (right for a single instance only).
   * @default 5000
   */
  maxStalenessMs?: number
  /** The clock, in epoch milliseconds (inject one in tests). @default Date.now */
  now?: () => number
  /**
   * Told of each failure of the cache that the CachingStore absorbed: the operation went on with
   * the backing store's answer (a write dropped the key from the cache; a read was a miss). A
   * handler that throws is ignored.
   * @default undefined (not reported)
   */
  onCacheError?: (error: SessionError) => void
}

const DEFAULT_MAX_STALENESS_MS = 5000

/** `CachingStoreOptions` checked (else `CONFIG` naming the option), with defaults. */
export function resolveCachingStoreOptions(options: CachingStoreOptions) {
  const { maxStalenessMs = DEFAULT_MAX_STALENESS_MS, now = Date.now, onCacheError } = options
  if (typeof maxStalenessMs !== 'number' || !(maxStalenessMs >= 0)) {
    throw new SessionError(
      'CONFIG',
      `CachingStore options.maxStalenessMs takes a number of milliseconds >= 0 (or Infinity), got ${String(maxStalenessMs)}. Omit it for ${DEFAULT_MAX_STALENESS_MS}.`
    )
  }
  if (typeof now !== 'function') {
    throw new SessionError(
      'CONFIG',
      'CachingStore options.now takes a function returning epoch milliseconds, e.g. () => Date.now().'
    )
  }
  if (onCacheError !== undefined && typeof onCacheError !== 'function') {
    throw new SessionError(
      'CONFIG',
      'CachingStore options.onCacheError takes a function, e.g. (error) => console.warn(error).'
    )
  }
  return { maxStalenessMs, now, onCacheError }
}

/**
 * A failure of the cache during `operation`, as `STORE_UNAVAILABLE` (a `SessionError` of the
 * cache, e.g. a record it refused, is kept as is).
 */
export function cacheFailure(operation: string, cause: unknown): SessionError {
  if (isSessionError(cause)) return cause
  return new SessionError(
    'STORE_UNAVAILABLE',
    `The cache of a CachingStore failed during ${operation}; check the cache store (see \`cause\`). The backing store's answer stood; the cache's copy of the key was dropped if it could be.`,
    { cause }
  )
}

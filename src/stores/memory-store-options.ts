import { SessionError } from '../core/errors.js'

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * The most records the store holds. Beyond it, expired records go first, then records created
   * and not used since, then those used again, and the records of logins (`cycleId`) last.
   * @default 10_000
   */
  maxSessions?: number
  /**
   * The most bytes the store holds, counted per record as its data's JSON length, its key and
   * write token, plus a fixed overhead (`MEMORY_RECORD_OVERHEAD`); evicts like `maxSessions`.
   * One session's data may take a 64th of it (`maxRecordSize`); more is refused with
   * `INVALID_VALUE`.
   * @default 64 MiB (67_108_864)
   */
  maxBytes?: number
  /** The clock, in epoch milliseconds (inject one in tests). @default Date.now */
  now?: () => number
}

/** The bytes a record is counted for besides its data, key and token: its bookkeeping. */
export const MEMORY_RECORD_OVERHEAD = 160

/** `maxRecordSize` is `maxBytes` divided by this: 1 MiB, the engine's maxSize, at the default. */
const RECORDS_OF_MAX_SIZE = 64

const DEFAULT_MAX_SESSIONS = 10_000
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/** `MemoryStoreOptions` checked, with defaults, and the most records the store can ever hold. */
export function resolveMemoryStoreOptions(options: MemoryStoreOptions) {
  const maxSessions = positiveInteger(options.maxSessions, DEFAULT_MAX_SESSIONS, 'maxSessions')
  const maxBytes = positiveInteger(options.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes')
  const now = options.now ?? Date.now
  if (typeof now !== 'function') {
    throw new SessionError(
      'CONFIG',
      'MemoryStore options.now takes a function returning epoch milliseconds, e.g. () => Date.now().'
    )
  }
  // Each record counts at least MEMORY_RECORD_OVERHEAD bytes, which bounds the records too.
  const capacity = Math.min(maxSessions, Math.ceil(maxBytes / MEMORY_RECORD_OVERHEAD))
  const maxRecordSize = Math.floor(maxBytes / RECORDS_OF_MAX_SIZE)
  return { maxSessions, maxBytes, maxRecordSize, now, capacity }
}

/** `value` checked as an integer >= 1 (else `CONFIG` naming the option), or `fallback`. */
function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SessionError(
      'CONFIG',
      `MemoryStore options.${option} takes an integer >= 1, got ${value}. Omit it for ${fallback}.`
    )
  }
  return value
}

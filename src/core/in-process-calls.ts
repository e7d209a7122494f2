import type { CreateOptions, SessionRecord, SessionStore } from './store.js'

/**
 * The calls of an in-process store (the MemoryStore) that answer at once, without a promise:
 * found under this symbol, they let the engine load and save a session synchronously on the
 * common path (a live record, a compare-and-set that succeeds, a create under a fresh id)
 * instead of through five async layers of a promise each. Anything less common (a missing,
 * moved or corrupt record, a conflict, a collision, a throwing call) goes the async way, which
 * stays the one full protocol. A store outside this package need not offer them; a wrapper
 * around a MemoryStore is async unless it forwards them under this symbol (as the benchmark's
 * call-counting store does).
 */
export const IN_PROCESS_CALLS: unique symbol = Symbol('typed-sessions in-process calls')

/** What a store offers under `IN_PROCESS_CALLS`: `SessionStore`'s calls, answered at once. */
export interface InProcessCalls {
  load(key: string): SessionRecord | undefined
  save(record: SessionRecord, expectedVersion?: number): boolean
  create(record: SessionRecord, options?: CreateOptions): boolean
}

/** A store that offers its calls synchronously. */
export interface WithInProcessCalls {
  readonly [IN_PROCESS_CALLS]?: InProcessCalls
}

/** The synchronous calls of `store`, if it is in-process and offers them. */
export function inProcessCallsOf(store: SessionStore): InProcessCalls | undefined {
  if (store.inProcess !== true) return undefined
  return (store as WithInProcessCalls)[IN_PROCESS_CALLS]
}

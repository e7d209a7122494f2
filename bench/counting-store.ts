import {
  IN_PROCESS_CALLS,
  type InProcessCalls,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from 'typed-sessions'

/** How many times each per-request operation of a store was called. */
export interface StoreCalls {
  create: number
  load: number
  save: number
  delete: number
}

export function noStoreCalls(): StoreCalls {
  return { create: 0, load: 0, save: 0, delete: 0 }
}

/**
 * A pass-through store that counts the calls the session engine makes. The methods return the
 * inner store's promise as it is (no extra `async` layer), so the wrapper costs a counter
 * increment per call. Each call of the benchmarked stores is one round trip to its server.
 */
export class CountingStore implements SessionStore {
  readonly calls: StoreCalls = noStoreCalls()
  readonly #inner: SessionStore
  readonly inProcess: boolean
  /** The inner store's synchronous calls, counted too, so the engine's sync path is measured. */
  readonly [IN_PROCESS_CALLS]: InProcessCalls | undefined

  constructor(inner: SessionStore) {
    this.#inner = inner
    this.inProcess = inner.inProcess === true
    const calls = (inner as { [IN_PROCESS_CALLS]?: InProcessCalls })[IN_PROCESS_CALLS]
    this[IN_PROCESS_CALLS] = calls && {
      load: (key) => (this.calls.load++, calls.load(key)),
      save: (record, expectedVersion) => (this.calls.save++, calls.save(record, expectedVersion)),
      create: (record, options) => (this.calls.create++, calls.create(record, options)),
    }
  }

  create(record: SessionRecord): Promise<boolean> {
    this.calls.create++
    return this.#inner.create(record)
  }

  load(key: string): Promise<SessionRecord | undefined> {
    this.calls.load++
    return this.#inner.load(key)
  }

  save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    this.calls.save++
    return this.#inner.save(record, expectedVersion)
  }

  delete(key: string): Promise<void> {
    this.calls.delete++
    return this.#inner.delete(key)
  }

  scan(options?: ScanOptions): AsyncIterable<SessionRecord> {
    if (this.#inner.scan === undefined) throw new Error('the wrapped store has no scan()')
    return this.#inner.scan(options)
  }
}

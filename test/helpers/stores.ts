import { MemoryStore, recordKeyOf } from 'typed-sessions'
import type { SessionRecord, SessionStore } from 'typed-sessions'
import { idOfCookie } from '../../src/testing/cookie-jar.js'

// Shared with the suites of the package (src/testing/).
export { idOfCookie } from '../../src/testing/cookie-jar.js'
export { deferred } from '../../src/testing/gate.js'

/** The four calls of the store contract that the engine makes. */
export type StoreOperation = 'create' | 'load' | 'save' | 'delete'

/**
 * A store wrapper for Hono tests: counts every call the engine makes, can make any operation
 * throw (a store that is down) and can make `create` / `save` answer `false` (a collision, a
 * compare-and-set conflict). The wrapped store is `inner`; read it directly to inspect records
 * without counting.
 */
export class TestStore implements SessionStore {
  readonly inner: MemoryStore
  readonly calls: Record<StoreOperation, number> = { create: 0, load: 0, save: 0, delete: 0 }
  /** Every call in order, e.g. `['load', 'save']`. */
  readonly log: StoreOperation[] = []
  readonly #failures = new Map<StoreOperation, unknown>()
  readonly #refusals = new Set<'create' | 'save'>()

  constructor(inner: MemoryStore = new MemoryStore()) {
    this.inner = inner
  }

  /** How many store calls were made in all. */
  get total(): number {
    return this.log.length
  }

  /** Forgets the counts (not the records). */
  resetCounts(): void {
    this.log.length = 0
    for (const operation of Object.keys(this.calls) as StoreOperation[]) this.calls[operation] = 0
  }

  /** Makes `operation` throw `error` from now on (until `heal`). */
  failOn(
    operation: StoreOperation,
    error: unknown = new Error(`store ${operation} is down`)
  ): void {
    this.#failures.set(operation, error)
  }

  /** Makes `create` (a collision) or `save` (a version conflict) answer false from now on. */
  refuse(operation: 'create' | 'save'): void {
    this.#refusals.add(operation)
  }

  /** Undoes every `failOn` and `refuse`. */
  heal(): void {
    this.#failures.clear()
    this.#refusals.clear()
  }

  async create(record: SessionRecord): Promise<boolean> {
    this.#enter('create')
    if (this.#refusals.has('create')) return false
    return this.inner.create(record)
  }

  async load(key: string): Promise<SessionRecord | undefined> {
    this.#enter('load')
    return this.inner.load(key)
  }

  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    this.#enter('save')
    if (this.#refusals.has('save')) return false
    return this.inner.save(record, expectedVersion)
  }

  async delete(key: string): Promise<void> {
    this.#enter('delete')
    return this.inner.delete(key)
  }

  #enter(operation: StoreOperation): void {
    this.calls[operation]++
    this.log.push(operation)
    if (this.#failures.has(operation)) throw this.#failures.get(operation)
  }
}

/** The record a signed cookie value points to, read from `store` (a `TestStore` is not counted). */
export function recordOfCookie(
  store: SessionStore,
  value: string
): Promise<SessionRecord | undefined> {
  const target = store instanceof TestStore ? store.inner : store
  return target.load(recordKeyOf(idOfCookie(value)))
}

/** Overwrites (upserts) the record a signed cookie value points to with `changes`. */
export async function rewriteRecordOfCookie(
  store: SessionStore,
  value: string,
  changes: Partial<SessionRecord>
): Promise<void> {
  const current = await recordOfCookie(store, value)
  if (current === undefined) throw new Error(`no record for cookie ${value}`)
  const target = store instanceof TestStore ? store.inner : store
  await target.save({ ...current, ...changes, key: current.key })
}

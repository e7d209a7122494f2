import type { SessionRecord, SessionStore } from '../core/store.js'
import type { CopyStoredValue } from './stored-value-copies.js'

/** What a store's test file hands the suites: a store, and how to release it. */
export interface StoreUnderTest {
  store: SessionStore
  /** Runs after each test: close the client, drop the table, remove the directory. */
  cleanup?: () => Promise<void>
  /**
   * For a store that keeps a value apart from its key (Redis, KV stores, files): copies a raw
   * stored value under another key, to show that the copy is that key's record.
   */
  copyStoredValue?: CopyStoredValue
  /**
   * For a store with `listOwner`: how many entries its owner index holds for `owner`, read from
   * the backend directly (not through `listOwner`, which filters), expired ones included. The
   * owner-index cases check with it that no entry outlives its record. A store whose backend
   * expires entries by itself (a native TTL) may wait here until that has happened.
   */
  ownerIndexEntries?: (owner: string) => Promise<number>
  /**
   * For a store with `listOwner`: runs `run` and returns how much of the store it read, in the
   * store's own unit (rows examined, keys read, records decoded). The owner-index cases check
   * with it that a listing costs what the owner has, not what the store holds.
   */
  readCost?: (run: () => Promise<unknown>) => Promise<number>
}

/** Options of `describeStoreConformance`. */
export interface StoreConformanceOptions {
  /** Skip the whole suite, saying why (e.g. "no Redis server on this machine"). */
  skipReason?: string | undefined
  /**
   * Every `setup` returns a store no one else writes to (e.g. a fresh `MemoryStore`): counts are
   * then asserted exactly instead of as lower bounds. A store whose records vanish on their own
   * (a native TTL) should not implement `deleteExpired`: it would have nothing left to count.
   * @default false
   */
  isolated?: boolean
  /**
   * A store of the same kind whose server cannot be reached (a closed port): every operation
   * must fail with `SessionError` `STORE_UNAVAILABLE` carrying the driver's error as `cause`.
   * @default undefined (the case is skipped)
   */
  unreachable?: () => Promise<SessionStore> | SessionStore
  /**
   * The store's conditional `save` is best effort, not an atomic compare-and-set (its backend
   * cannot do one): the reason why. The test that races concurrent conditional saves is then
   * skipped with this reason in its title; the sequential version checks still run.
   * @default undefined (the store has an atomic compare-and-set)
   */
  bestEffortCompareAndSet?: string
}

/** What each group of conformance cases reads from the suite around it, test by test. */
export interface ConformanceSuite {
  /** The store of the running test. */
  store(): SessionStore
  /** What `setup` returned for the running test. */
  underTest(): StoreUnderTest
  /** A record key unique to the running test: `${prefix()}:${suffix}`. */
  key(suffix: string | number): string
  /** The running test's key prefix. */
  prefix(): string
  /** The suite's options. */
  readonly options: StoreConformanceOptions
}

export const MINUTE = 60_000

/**
 * A record with sensible defaults, live for an hour: `{ count: 1 }` as data, version 0.
 * @example await store.create(makeRecord('k', { data: { user: 'ada' } }))
 */
export function makeRecord(key: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now()
  return {
    key,
    data: { count: 1 },
    createdAt: now,
    expiresAt: now + 60 * MINUTE,
    version: 0,
    schemaVersion: 0,
    ...overrides,
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `task` on every item with at most `chunk` in flight at once. */
export async function inChunks<T>(items: T[], chunk: number, task: (item: T) => Promise<unknown>) {
  for (let start = 0; start < items.length; start += chunk) {
    await Promise.all(items.slice(start, start + chunk).map(task))
  }
}

/** The title of a suite over a store: `${name} ${what}`, with the reason when it is skipped. */
export function suiteTitle(name: string, what: string, skipReason: string | undefined): string {
  return skipReason === undefined ? `${name} ${what}` : `${name} ${what} (skipped: ${skipReason})`
}

import type { ScanOptions, SessionRecord, SessionStore } from 'typed-sessions'

// A store as someone outside this repository writes one, against the published types only: a
// Map in memory. `npm run test:node-dist` runs typed-sessions/testing's suites on it from the
// built package, under vitest and under bun test (test/runtimes/testing-kit.test.ts).

/** A `SessionStore` over a `Map`: records copied in and out, expired ones never loaded. */
export class MapStore implements SessionStore {
  readonly #records = new Map<string, SessionRecord>()

  async create(record: SessionRecord): Promise<boolean> {
    if (this.#live(record.key) !== undefined) return false
    this.#records.set(record.key, structuredClone(record))
    return true
  }

  async load(key: string): Promise<SessionRecord | undefined> {
    const record = this.#live(key)
    return record === undefined ? undefined : structuredClone(record)
  }

  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    if (expectedVersion !== undefined && this.#live(record.key)?.version !== expectedVersion) {
      return false
    }
    this.#records.set(record.key, structuredClone(record))
    return true
  }

  async delete(key: string): Promise<void> {
    this.#records.delete(key)
  }

  async deleteExpired(): Promise<number> {
    let deleted = 0
    for (const [key, record] of this.#records) {
      if (record.expiresAt <= Date.now()) deleted += Number(this.#records.delete(key))
    }
    return deleted
  }

  async *scan(_options?: ScanOptions): AsyncIterable<SessionRecord> {
    // The keys as they are now: a record deleted meanwhile is skipped, one added may be missed.
    for (const key of [...this.#records.keys()]) {
      const record = await this.load(key)
      if (record !== undefined) yield record
    }
  }

  #live(key: string): SessionRecord | undefined {
    const record = this.#records.get(key)
    return record !== undefined && record.expiresAt > Date.now() ? record : undefined
  }
}

/** A MapStore whose conditional save ignores the version: what the suite must catch. */
export class LaxMapStore extends MapStore {
  override save(record: SessionRecord): Promise<boolean> {
    return super.save(record)
  }
}

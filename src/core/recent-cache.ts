/**
 * A bounded map of recently used entries, for the caches that spare returning visitors an HMAC
 * or a SHA-256. It keeps two generations: inserts go to the current one, and when that holds
 * `capacity / 2` entries it becomes the previous one and the oldest generation is dropped whole.
 * A hit in the previous generation is copied forward, so entries in use survive.
 *
 * Why not one `Map` that drops `keys().next()` when full: V8 leaves a deleted entry as a hole
 * until the table is rebuilt, and every new iterator walks the holes from the start, so at
 * 10,000 entries each insert cost ~10 µs (measured, bench/README). Two plain Maps cost O(1).
 * @example
 * const keys = new RecentCache<string>(10_000)
 * keys.set(id, sha256Base64url(id))
 * keys.get(id)
 */
export class RecentCache<V> {
  #current = new Map<string, V>()
  #previous = new Map<string, V>()
  readonly #generation: number

  /** @param capacity - the most entries held; `0` holds none. */
  constructor(capacity: number) {
    this.#generation = capacity <= 0 ? 0 : Math.max(1, Math.floor(capacity / 2))
  }

  /** The entry for `key`, or undefined. */
  get(key: string): V | undefined {
    const value = this.#current.get(key)
    if (value !== undefined || this.#previous.size === 0) return value
    const old = this.#previous.get(key)
    if (old !== undefined) this.set(key, old)
    return old
  }

  /** Inserts or replaces the entry for `key`; a full generation is rotated first. */
  set(key: string, value: V): void {
    if (this.#generation === 0) return
    if (this.#current.size >= this.#generation) {
      this.#previous = this.#current
      this.#current = new Map()
    }
    this.#current.set(key, value)
  }

  /** How many entries are held (an entry in both generations counts twice). */
  get size(): number {
    return this.#current.size + this.#previous.size
  }
}

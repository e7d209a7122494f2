/** Keys per shard the index aims at: a shard's rehash then costs well under a millisecond. */
const KEYS_PER_SHARD = 8192

/**
 * The `MemoryStore`'s owner key → owner list index (record keys have a `KeyTable`), split over
 * several Maps. A JavaScript Map rehashes all its entries at once when it grows, shrinks or has
 * collected enough deleted entries; at a million keys that is a pause of tens of milliseconds in
 * whichever request triggers it. Split into shards of a few thousand keys, each rehash is short.
 */
export class KeyIndex<V = number> {
  readonly #shards: Map<string, V>[]
  readonly #mask: number
  #size = 0

  /** `capacity`: the most keys the index will hold. */
  constructor(capacity: number) {
    let shards = 1
    while (shards * KEYS_PER_SHARD < capacity) shards *= 2
    this.#shards = Array.from({ length: shards }, () => new Map<string, V>())
    this.#mask = shards - 1
  }

  /** How many keys the index holds. */
  get size(): number {
    return this.#size
  }

  /** The value of `key`, or undefined. */
  get(key: string): V | undefined {
    return this.#shardOf(key).get(key)
  }

  /** Adds `key` (not in the index) with its value. */
  add(key: string, value: V): void {
    this.#shardOf(key).set(key, value)
    this.#size++
  }

  /** Removes `key` (in the index). */
  remove(key: string): void {
    if (this.#shardOf(key).delete(key)) this.#size--
  }

  /** Every key, as a new array. */
  keys(): string[] {
    const keys: string[] = []
    for (const shard of this.#shards) for (const key of shard.keys()) keys.push(key)
    return keys
  }

  /** Removes every key. */
  clear(): void {
    for (const shard of this.#shards) shard.clear()
    this.#size = 0
  }

  #shardOf(key: string): Map<string, V> {
    // Owner keys are base64url of a SHA-256: their first two characters are uniform.
    const hash = (key.charCodeAt(0) * 31 + key.charCodeAt(1)) | 0
    return this.#shards[hash & this.#mask]!
  }
}

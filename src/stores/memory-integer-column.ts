/** Marks a slot whose number is in the side map instead of the column. */
const WIDE = 0xffffffff

/**
 * A column of the `MemoryStore`'s slab for numbers that are nearly always small integers (a
 * record's `version` and `schemaVersion`): 4 bytes a slot in a `Uint32Array` instead of 8 in a
 * `Float64Array`. Any other number (2^32 - 1 or more, negative, -0, fractional: a tool or a test
 * may write one) is kept exactly, in a side map by slot, nearly always empty.
 */
export class IntegerColumn {
  readonly #capacity: number
  #values: Uint32Array<ArrayBuffer>
  readonly #wide = new Map<number, number>()

  /** Room for slots `0 .. capacity - 1` (the memory is committed as it is first written). */
  constructor(capacity: number) {
    this.#capacity = capacity
    this.#values = new Uint32Array(capacity)
  }

  /** The number in `slot`, as last set. */
  get(slot: number): number {
    const value = this.#values[slot]!
    return value === WIDE ? this.#wide.get(slot)! : value
  }

  /** Sets the number in `slot`. */
  set(slot: number, value: number): void {
    if (value >>> 0 === value && value !== WIDE && (value !== 0 || 1 / value > 0)) {
      if (this.#values[slot] === WIDE) this.#wide.delete(slot)
      this.#values[slot] = value
    } else {
      this.#values[slot] = WIDE
      this.#wide.set(slot, value)
    }
  }

  /** Drops the number in `slot` (released by the slab). */
  release(slot: number): void {
    if (this.#values[slot] === WIDE) this.#wide.delete(slot)
    this.#values[slot] = 0
  }

  /** Forgets every number, releasing the memory the column had committed. */
  reset(): void {
    this.#values = new Uint32Array(this.#capacity)
    this.#wide.clear()
  }
}

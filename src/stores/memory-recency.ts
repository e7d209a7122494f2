/** The segment of a record that was created and not used since: evicted first. */
export const PROBATION = 0
/** The segment of a record loaded or saved again after its creation. */
export const RETURNING = 1
/** The segment of a record created by `cycleId` (a login): evicted last. */
export const CYCLED = 2

/** `PROBATION`, `RETURNING` or `CYCLED`, in the order the store evicts them. */
export type Segment = typeof PROBATION | typeof RETURNING | typeof CYCLED

/** Every segment, in the order the store evicts them. */
export const SEGMENTS: readonly Segment[] = [PROBATION, RETURNING, CYCLED]

/**
 * The recency lists of the `MemoryStore`'s segmented LRU, as doubly linked lists of slot
 * numbers in typed arrays: each list runs from its least recently used slot (`first`) to its most
 * recently used, and moving a slot to the back of either list costs O(1), with no allocation.
 */
export class RecencyLists {
  readonly #capacity: number
  #previous: Int32Array<ArrayBuffer>
  #next: Int32Array<ArrayBuffer>
  #segment: Uint8Array<ArrayBuffer>
  readonly #first = [-1, -1, -1]
  readonly #last = [-1, -1, -1]
  readonly #count = [0, 0, 0]

  /** Room for slots `0 .. capacity - 1`, allocated once (committed by the system as used). */
  constructor(capacity: number) {
    this.#capacity = capacity
    this.#previous = new Int32Array(capacity)
    this.#next = new Int32Array(capacity)
    this.#segment = new Uint8Array(capacity)
  }

  /** Empties every list, releasing the memory their arrays had committed. */
  reset(): void {
    this.#previous = new Int32Array(this.#capacity)
    this.#next = new Int32Array(this.#capacity)
    this.#segment = new Uint8Array(this.#capacity)
    this.#first.fill(-1)
    this.#last.fill(-1)
    this.#count.fill(0)
  }

  /** The least recently used slot of `segment`, or -1 when it is empty. */
  first(segment: Segment): number {
    return this.#first[segment]!
  }

  /** How many slots `segment` holds. */
  count(segment: Segment): number {
    return this.#count[segment]!
  }

  /** The segment `slot` is in (it must be in one). */
  segmentOf(slot: number): Segment {
    return this.#segment[slot] as Segment
  }

  /** Adds `slot` (in no list) as the most recently used of `segment`. */
  append(slot: number, segment: Segment): void {
    const last = this.#last[segment]!
    this.#segment[slot] = segment
    this.#previous[slot] = last
    this.#next[slot] = -1
    if (last === -1) this.#first[segment] = slot
    else this.#next[last] = slot
    this.#last[segment] = slot
    this.#count[segment]!++
  }

  /** Takes `slot` out of its list. */
  remove(slot: number): void {
    const segment = this.#segment[slot] as Segment
    const previous = this.#previous[slot]!
    const next = this.#next[slot]!
    if (previous === -1) this.#first[segment] = next
    else this.#next[previous] = next
    if (next === -1) this.#last[segment] = previous
    else this.#previous[next] = previous
    this.#count[segment]!--
  }

  /** Makes `slot` the most recently used of `segment`, from wherever it is. */
  moveToBack(slot: number, segment: Segment): void {
    if (this.#last[segment] === slot) return
    this.remove(slot)
    this.append(slot, segment)
  }
}

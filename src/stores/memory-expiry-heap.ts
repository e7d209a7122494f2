/** Where the heap reads each slot's time: the slab's `expiresAt` column. */
interface SlotTimes {
  readonly expiresAt: Float64Array<ArrayBuffer>
}

/**
 * An indexed binary min-heap of slot numbers ordered by a time (a record's `expiresAt`), for the
 * `MemoryStore`: the record that expires first is found in O(1), and inserting, removing or
 * moving a slot costs O(log n). It lives in typed arrays, so a million records add no objects
 * for the garbage collector to trace; the times are read from the slab's own column rather than
 * copied (8 bytes a record fewer), so the slab writes a slot's time before the heap is told.
 */
export class ExpiryHeap {
  readonly #capacity: number
  readonly #times: SlotTimes
  /** Position in the heap → slot. */
  #heap: Int32Array<ArrayBuffer>
  /** Slot → its position in the heap (meaningful only while the slot is in the heap). */
  #position: Int32Array<ArrayBuffer>
  #size = 0

  /**
   * Room for slots `0 .. capacity - 1`, allocated once: the system commits the memory of a
   * typed array as it is first written, so unused capacity costs address space, not memory,
   * and the heap never pauses to copy itself into a larger one.
   */
  constructor(capacity: number, times: SlotTimes) {
    this.#capacity = capacity
    this.#times = times
    this.#heap = new Int32Array(capacity)
    this.#position = new Int32Array(capacity)
  }

  /** How many slots the heap holds. */
  get size(): number {
    return this.#size
  }

  /** Empties the heap, releasing the memory its arrays had committed. */
  reset(): void {
    this.#heap = new Int32Array(this.#capacity)
    this.#position = new Int32Array(this.#capacity)
    this.#size = 0
  }

  /** The slot with the earliest time, or -1 when the heap is empty. */
  first(): number {
    return this.#size === 0 ? -1 : this.#heap[0]!
  }

  /** The time of `slot`. */
  timeOf(slot: number): number {
    return this.#times.expiresAt[slot]!
  }

  /** Adds `slot` (not in the heap), ordered by its time. */
  insert(slot: number): void {
    const at = this.#size++
    this.#heap[at] = slot
    this.#position[slot] = at
    this.#siftUp(at)
  }

  /** Moves `slot` (in the heap) to its place for its time, changed from `previous`. */
  update(slot: number, previous: number): void {
    const time = this.#times.expiresAt[slot]!
    if (time === previous) return
    const at = this.#position[slot]!
    if (time < previous) this.#siftUp(at)
    else this.#siftDown(at)
  }

  /** Takes `slot` out of the heap. */
  remove(slot: number): void {
    const at = this.#position[slot]!
    this.#position[slot] = -1
    const last = --this.#size
    if (at === last) return
    // The last leaf fills the hole, then moves up or down to where its time belongs.
    const moved = this.#heap[last]!
    this.#heap[at] = moved
    this.#position[moved] = at
    this.#siftUp(at)
    this.#siftDown(this.#position[moved]!)
  }

  #siftUp(at: number): void {
    const heap = this.#heap
    const times = this.#times.expiresAt
    const slot = heap[at]!
    const time = times[slot]!
    while (at > 0) {
      const parentAt = (at - 1) >>> 1
      const parent = heap[parentAt]!
      if (times[parent]! <= time) break
      heap[at] = parent
      this.#position[parent] = at
      at = parentAt
    }
    heap[at] = slot
    this.#position[slot] = at
  }

  #siftDown(at: number): void {
    const heap = this.#heap
    const times = this.#times.expiresAt
    const size = this.#size
    const slot = heap[at]!
    const time = times[slot]!
    for (;;) {
      let childAt = 2 * at + 1
      if (childAt >= size) break
      const right = childAt + 1
      if (right < size && times[heap[right]!]! < times[heap[childAt]!]!) childAt = right
      const child = heap[childAt]!
      if (times[child]! >= time) break
      heap[at] = child
      this.#position[child] = at
      at = childAt
    }
    heap[at] = slot
    this.#position[slot] = at
  }
}

/**
 * An indexed binary min-heap of slot numbers ordered by a time (a record's `expiresAt`), for the
 * `MemoryStore`: the record that expires first is found in O(1), and inserting, removing or
 * moving a slot costs O(log n). It lives in typed arrays, so a million records add no objects
 * for the garbage collector to trace.
 */
export class ExpiryHeap {
  readonly #capacity: number
  /** Position in the heap → slot. */
  #heap: Int32Array<ArrayBuffer>
  /** Slot → its position in the heap (meaningful only while the slot is in the heap). */
  #position: Int32Array<ArrayBuffer>
  /** Slot → the time it is ordered by. */
  #time: Float64Array<ArrayBuffer>
  #size = 0

  /**
   * Room for slots `0 .. capacity - 1`, allocated once: the system commits the memory of a
   * typed array as it is first written, so unused capacity costs address space, not memory,
   * and the heap never pauses to copy itself into a larger one.
   */
  constructor(capacity: number) {
    this.#capacity = capacity
    this.#heap = new Int32Array(capacity)
    this.#position = new Int32Array(capacity)
    this.#time = new Float64Array(capacity)
  }

  /** How many slots the heap holds. */
  get size(): number {
    return this.#size
  }

  /** Empties the heap, releasing the memory its arrays had committed. */
  reset(): void {
    this.#heap = new Int32Array(this.#capacity)
    this.#position = new Int32Array(this.#capacity)
    this.#time = new Float64Array(this.#capacity)
    this.#size = 0
  }

  /** The slot with the earliest time, or -1 when the heap is empty. */
  first(): number {
    return this.#size === 0 ? -1 : this.#heap[0]!
  }

  /** The time of `slot`, as last inserted or updated. */
  timeOf(slot: number): number {
    return this.#time[slot]!
  }

  /** Adds `slot` (not in the heap) ordered by `time`. */
  insert(slot: number, time: number): void {
    const at = this.#size++
    this.#time[slot] = time
    this.#heap[at] = slot
    this.#position[slot] = at
    this.#siftUp(at)
  }

  /** Moves `slot` (in the heap) to its place for a new `time`. */
  update(slot: number, time: number): void {
    const previous = this.#time[slot]!
    if (time === previous) return
    this.#time[slot] = time
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
    const slot = heap[at]!
    const time = this.#time[slot]!
    while (at > 0) {
      const parentAt = (at - 1) >>> 1
      const parent = heap[parentAt]!
      if (this.#time[parent]! <= time) break
      heap[at] = parent
      this.#position[parent] = at
      at = parentAt
    }
    heap[at] = slot
    this.#position[slot] = at
  }

  #siftDown(at: number): void {
    const heap = this.#heap
    const size = this.#size
    const slot = heap[at]!
    const time = this.#time[slot]!
    for (;;) {
      let childAt = 2 * at + 1
      if (childAt >= size) break
      const right = childAt + 1
      if (right < size && this.#time[heap[right]!]! < this.#time[heap[childAt]!]!) childAt = right
      const child = heap[childAt]!
      if (this.#time[child]! >= time) break
      heap[at] = child
      this.#position[child] = at
      at = childAt
    }
    heap[at] = slot
    this.#position[slot] = at
  }
}

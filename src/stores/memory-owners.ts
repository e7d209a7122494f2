import { KeyIndex } from './memory-index.js'

/** The links before the first owner: no slot is in a list. */
const EMPTY = new Int32Array(0)

/** The records of one owner: a doubly linked list through the slots, and its one owner string. */
interface OwnerList {
  /** The owner key, kept once for all its records (the slab's owner column points to it). */
  readonly owner: string
  head: number
  size: number
}

/**
 * The `MemoryStore`'s owner index (sessions per user, `listOwner`): owner key → the slots of its
 * records. Each owner's slots form a doubly linked list threaded through two typed arrays, so a
 * record costs 8 bytes here and no object, and linking, unlinking and listing one owner's
 * records cost O(1) and O(records of the owner), whatever the store holds. The store updates it
 * with every insert, replace and removal (eviction and expiry included), so no entry outlives
 * its record.
 */
export class OwnerIndex {
  readonly #capacity: number
  readonly #lists: KeyIndex<OwnerList>
  /**
   * Slot → the next and the previous slot of its owner's list (-1: none); allocated with the
   * first owner, so a store of sessions bound to no user pays nothing for them.
   */
  #next: Int32Array<ArrayBuffer> = EMPTY
  #previous: Int32Array<ArrayBuffer> = EMPTY

  /** Room for slots `0 .. capacity - 1` (the memory is committed as it is first written). */
  constructor(capacity: number) {
    this.#capacity = capacity
    this.#lists = new KeyIndex(capacity)
  }

  /** How many owners have at least one record. */
  get owners(): number {
    return this.#lists.size
  }

  /**
   * Adds `slot` (in no list) to the records of `owner`; returns the owner string the index keeps,
   * for the slab to point to instead of a copy per record.
   */
  link(slot: number, owner: string): string {
    if (this.#next === EMPTY) {
      this.#next = new Int32Array(this.#capacity)
      this.#previous = new Int32Array(this.#capacity)
    }
    let list = this.#lists.get(owner)
    if (list === undefined) this.#lists.add(owner, (list = { owner, head: -1, size: 0 }))
    this.#next[slot] = list.head
    this.#previous[slot] = -1
    if (list.head !== -1) this.#previous[list.head] = slot
    list.head = slot
    list.size++
    return list.owner
  }

  /** Takes `slot` out of the records of `owner` (it is in that list). */
  unlink(slot: number, owner: string): void {
    const list = this.#lists.get(owner)
    if (list === undefined) return
    const next = this.#next[slot]!
    const previous = this.#previous[slot]!
    if (previous === -1) list.head = next
    else this.#next[previous] = next
    if (next !== -1) this.#previous[next] = previous
    if (--list.size === 0) this.#lists.remove(owner)
  }

  /** The slots of the records of `owner`, expired ones included, as a new array. */
  slotsOf(owner: string): number[] {
    const slots: number[] = []
    for (let slot = this.#lists.get(owner)?.head ?? -1; slot !== -1; slot = this.#next[slot]!) {
      slots.push(slot)
    }
    return slots
  }

  /** How many records `owner` has in the index, expired ones included. */
  sizeOf(owner: string): number {
    return this.#lists.get(owner)?.size ?? 0
  }

  /** Forgets every owner, releasing the memory the arrays had committed. */
  reset(): void {
    this.#lists.clear()
    this.#next = this.#previous = EMPTY
  }
}

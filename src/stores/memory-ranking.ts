import {
  CYCLED,
  PROBATION,
  RETURNING,
  RecencyLists,
  SEGMENTS,
  type Segment,
} from './memory-recency.js'
import type { RecordSlab } from './memory-slab.js'

/** The share of `maxSessions` and `maxBytes` that sessions used again may hold. */
const PROTECTED_SHARE = 0.8

/*
 * Why a flood cannot evict a user who logged in:
 * - Three segments, evicted in order: PROBATION (created, not used since), RETURNING (loaded or
 *   saved again after its creation), CYCLED (created by `cycleId`, i.e. a login, and used since
 *   or not). A record goes to CYCLED only when the engine says so (`create(record, { cycled:
 *   true })`), and that takes a login; a cookie sent back, however often, earns RETURNING only.
 *   So a flood of new sessions churns PROBATION, a flood of echoed ones churns RETURNING, and
 *   neither reaches CYCLED while any other record is left to evict.
 * - By bytes too: each segment counts its bytes, a record takes at most a 64th of `maxBytes`
 *   (see `maxRecordSize`), and CYCLED and RETURNING together hold at most PROTECTED_SHARE of the
 *   bounds; so large records sent back push out other large records, not logins.
 * - Bounded all the same: beyond PROTECTED_SHARE of the bounds, the least recently used CYCLED
 *   record goes back to RETURNING, and the least recently used RETURNING one to PROBATION. A
 *   record created by `cycleId` keeps that mark: when it is used again it is CYCLED again.
 */

/**
 * The `MemoryStore`'s eviction order over the slots of its slab: which segment each record is
 * in, the bytes each segment holds, and the next record to evict. Every method is O(1)
 * amortized (each demotion pays for an earlier promotion).
 */
export class SessionRanking {
  readonly #capacity: number
  readonly #slab: RecordSlab
  readonly #lists: RecencyLists
  /** 1 for a slot whose record `cycleId` created: a use ranks it CYCLED again. */
  #cycled: Uint8Array<ArrayBuffer>
  readonly #bytes = [0, 0, 0]
  readonly #maxCount: number
  readonly #maxBytes: number

  /** For the records of `slab` (its `size` column is read), within the store's bounds. */
  constructor(slab: RecordSlab, capacity: number, maxSessions: number, maxBytes: number) {
    this.#capacity = capacity
    this.#slab = slab
    this.#lists = new RecencyLists(capacity)
    this.#cycled = new Uint8Array(capacity)
    this.#maxCount = Math.max(1, Math.floor(maxSessions * PROTECTED_SHARE))
    this.#maxBytes = maxBytes * PROTECTED_SHARE
  }

  /** Forgets every slot, releasing the memory the arrays had committed. */
  reset(): void {
    this.#lists.reset()
    this.#cycled = new Uint8Array(this.#capacity)
    this.#bytes.fill(0)
  }

  /** Ranks a new record: on probation, or CYCLED when `cycleId` created it. */
  add(slot: number, cycled: boolean): void {
    this.#cycled[slot] = cycled ? 1 : 0
    const segment = cycled ? CYCLED : PROBATION
    this.#lists.append(slot, segment)
    this.#bytes[segment]! += this.#slab.size[slot]!
    if (cycled) this.#limit(slot)
  }

  /** A use after creation (a load, a save): to the back of RETURNING, or of CYCLED. */
  use(slot: number): void {
    this.#move(slot, this.#cycled[slot] === 1 ? CYCLED : RETURNING)
    this.#limit(slot)
  }

  /** Counts `growth` more bytes (or fewer) for the record in `slot`, already in the slab. */
  resize(slot: number, growth: number): void {
    this.#bytes[this.#lists.segmentOf(slot)]! += growth
  }

  /** Takes `slot` out of the ranking (before the slab releases it). */
  remove(slot: number): void {
    this.#bytes[this.#lists.segmentOf(slot)]! -= this.#slab.size[slot]!
    this.#lists.remove(slot)
  }

  /**
   * The record to evict next: the least recently used on probation, else returning, else
   * CYCLED; never `keep` (just used, so the last of its segment: skipping it skips a segment
   * that holds nothing else). -1 when there is none.
   */
  victim(keep: number): number {
    for (const segment of SEGMENTS) {
      const slot = this.#lists.first(segment)
      if (slot !== -1 && slot !== keep) return slot
    }
    return -1
  }

  #move(slot: number, to: Segment): void {
    const size = this.#slab.size[slot]!
    this.#bytes[this.#lists.segmentOf(slot)]! -= size
    this.#lists.moveToBack(slot, to)
    this.#bytes[to]! += size
  }

  /** Demotes the least recently used records beyond PROTECTED_SHARE, never `keep`. */
  #limit(keep: number): void {
    const lists = this.#lists
    const bytes = this.#bytes
    while (lists.count(CYCLED) > this.#maxCount || bytes[CYCLED]! > this.#maxBytes) {
      const slot = lists.first(CYCLED)
      if (slot === keep) break
      this.#move(slot, RETURNING)
    }
    while (
      lists.count(RETURNING) + lists.count(CYCLED) > this.#maxCount ||
      bytes[RETURNING]! + bytes[CYCLED]! > this.#maxBytes
    ) {
      const slot = lists.first(RETURNING)
      if (slot === -1 || slot === keep) break
      this.#move(slot, PROBATION)
    }
  }
}

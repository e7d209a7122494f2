import type { SessionRecord, SessionStore } from './store.js'

/**
 * The saves of one record key in this process, one after the other. `last` is what the
 * previous save in the lane wrote (`null`: it deleted the record), so the next one can replay
 * its changes on that instead of sending a compare-and-set that is bound to fail.
 */
export interface SaveLane {
  last: SessionRecord | null | undefined
}

interface LaneState extends SaveLane {
  /** Saves waiting for their turn, in order; empty (and no promise made) when uncontended. */
  readonly waiting: (() => void)[]
  /** Saves in the lane: the running one and the waiting ones. */
  users: number
}

const lanes = new WeakMap<SessionStore, Map<string, LaneState>>()

/**
 * Runs `save` once every save of `key` on `store` that this process started earlier has
 * settled, or `maxWaitMs` has passed (a save stuck on a hung store must not hold the rest
 * forever; the compare-and-set still keeps them correct). The engine passes what is left of the
 * request's `storeTimeout`, and the wait is spent from it.
 *
 * Most contention comes from one browser sending several requests at once to one process
 * (DESIGN.md §8): queued here, each save starts from the record the previous one wrote, so
 * 50 racing updates cost about one store write each instead of rounds of conflicts.
 */
export async function inSaveLane<T>(
  store: SessionStore,
  key: string,
  maxWaitMs: number,
  save: (lane: SaveLane) => Promise<T>
): Promise<T> {
  let byKey = lanes.get(store)
  if (byKey === undefined) lanes.set(store, (byKey = new Map()))
  let lane = byKey.get(key)
  if (lane === undefined) byKey.set(key, (lane = { last: undefined, waiting: [], users: 0 }))
  if (++lane.users > 1) await turnWithin(lane, maxWaitMs)
  try {
    return await save(lane)
  } finally {
    lane.waiting.shift()?.()
    if (--lane.users === 0) byKey.delete(key)
  }
}

/**
 * True when no save of `key` on `store` is running or waiting in this process: a save that runs
 * to its end without awaiting (an in-process store's) may then skip the lane.
 */
export function laneIsFree(store: SessionStore, key: string): boolean {
  return lanes.get(store)?.has(key) !== true
}

/** Waits until the save before this one hands over its turn, or `ms` passes. */
function turnWithin(lane: LaneState, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Gave up waiting: leave the queue, so the handover goes to the next one in line.
      const index = lane.waiting.indexOf(go)
      if (index >= 0) lane.waiting.splice(index, 1)
      resolve()
    }, ms)
    const go = () => {
      clearTimeout(timer)
      resolve()
    }
    lane.waiting.push(go)
  })
}

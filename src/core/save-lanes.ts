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
  tail: Promise<void>
  users: number
}

const lanes = new WeakMap<SessionStore, Map<string, LaneState>>()

/**
 * Runs `save` once every save of `key` on `store` that this process started earlier has
 * settled, or `maxWaitMs` has passed (a save stuck on a hung store must not hold the rest
 * forever; the compare-and-set still keeps them correct).
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
  if (lane === undefined)
    byKey.set(key, (lane = { last: undefined, tail: Promise.resolve(), users: 0 }))
  lane.users++
  const previous = lane.tail
  let release!: () => void
  lane.tail = new Promise<void>((resolve) => (release = resolve))
  try {
    if (lane.users > 1) await settledWithin(previous, maxWaitMs)
    return await save(lane)
  } finally {
    release()
    if (--lane.users === 0) byKey.delete(key)
  }
}

function settledWithin(previous: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    void previous.then(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

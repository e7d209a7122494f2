import { attemptStore, isSessionError } from './errors.js'
import { GONE, markerRecord, movedMarkerKey, stateOf, type RecordState } from './record-markers.js'
import { inSaveLane } from './save-lanes.js'
import type { SessionStore } from './store.js'
import { schemaVersionOf } from './session-config.js'
import type { SessionInner } from './session-inner.js'
import { fetchRecord } from './session-loading.js'
import { NONE } from './session-state.js'

/** Runs one store call (the engine bounds each by what is left of the request's storeTimeout). */
export type StoreCall = <T>(operation: string, run: () => Promise<T>) => Promise<T>

/** Options of `endRecord`. */
export interface EndRecordOptions {
  /** The version the record was last seen at, if known: spares a load. */
  version?: number | undefined
  /** The schema version written into the flushed marker. @default 1 */
  schemaVersion?: number
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number
  /** Runs each store call. @default the call alone, its failure as `STORE_UNAVAILABLE` */
  call?: StoreCall
  /**
   * Reads what a record key holds, a missing record looked up once more under its moved-marker
   * key. The engine's applies its corrupt-record policy. @default a load, a record the store
   * cannot decode read as gone (it is deleted all the same)
   */
  fetch?: (key: string) => Promise<RecordState>
  /**
   * Told each record key whose live session this call ended (the one asked for, or one it moved
   * to), once: what a `flushed` event reports. A racing second logout is told nothing.
   */
  onEnded?: (key: string) => void
}

/** How many attempts one compare-and-set to the flushed marker gets before the delete. */
const END_ATTEMPTS = 5
/** How many records a logout follows from a session that moved to a new id meanwhile. */
const MOVES_FOLLOWED = 3

/**
 * The logout protocol (DESIGN.md §8 "logout wins"), shared by `flush()` and revocation: ends the
 * record at `key` with a compare-and-set to a flushed marker, so that a `cycleId` racing it
 * either fails its own compare-and-set (and gives up) or has already moved the session, and the
 * move is followed to the new record (a few hops at most), which is ended too; then the delete.
 * A request that loaded the record before and saves after loses its compare-and-set and drops
 * its changes. The marker carries no owner, so the owner index forgets the record at once.
 * Returns true when a live session was ended, here or where it moved.
 * @example if (await endRecord(store, record.key)) ended++
 */
export async function endRecord(
  store: SessionStore,
  key: string,
  options: EndRecordOptions = {}
): Promise<boolean> {
  const call = options.call ?? ((operation, run) => attemptStore(operation, run))
  const fetch = options.fetch ?? ((recordKey) => fetchState(store, recordKey, call))
  const now = options.now ?? Date.now
  const schemaVersion = options.schemaVersion ?? 1

  const end = async (key: string, version: number | undefined, moves: number): Promise<boolean> => {
    let ended = false // here, or where the session moved
    let endedHere = false
    for (let attempt = 0; attempt < END_ATTEMPTS; attempt++) {
      if (version === undefined) {
        const state = await fetch(key)
        if (state.kind === 'gone') break
        if (state.kind === 'moved') {
          if (moves < MOVES_FOLLOWED) ended = await end(state.to, undefined, moves + 1)
          break
        }
        version = state.record.version
      }
      const marker = markerRecord(key, version + 1, schemaVersion, now())
      if (await call('save', () => store.save(marker, version))) {
        ended = endedHere = true
        break
      }
      version = undefined // it changed meanwhile: look again
    }
    await call('delete', () => store.delete(key))
    if (endedHere) options.onEnded?.(key)
    return ended
  }
  return end(key, options.version, 0)
}

/**
 * Logout: ends the stored record (`endRecord`: a compare-and-set to a flushed marker, then the
 * delete) in its save lane, after emptying the session, so that even when the store fails the
 * response removes the cookie. A session that a concurrent `cycleId` moved under this request
 * is followed and ended at its new id.
 */
export async function flushSession(session: SessionInner): Promise<void> {
  const state = session.state
  const key = session.recordKey() ?? (state.kind === 'lost' ? state.movedFrom : undefined)
  const version = session.stored?.version
  // Loaded and empty; a logout removes the cookie, even one a concurrent login made inert.
  session.reset(NONE)
  session.modified = true
  if (key === undefined) return
  const { budget, events } = session
  await budget.inLane(key, async (lane) => {
    await endRecord(session.store, key, {
      version,
      schemaVersion: schemaVersionOf(session.config),
      now: session.now,
      call: (operation, run) => budget.call(operation, run),
      fetch: (recordKey) => fetchRecord(session, recordKey, true),
      onEnded: (recordKey) => events?.flushed(recordKey),
    })
    lane.last = null
  })
}

/**
 * Ends the record at `key` outside a request (a revocation): `endRecord` in the record's save
 * lane, so that saves of it queued in this process start from its end instead of racing it, and
 * with each store call bounded by `storeTimeout` milliseconds (unless the store is in-process).
 */
export function revokeRecord(
  store: SessionStore,
  key: string,
  options: Pick<EndRecordOptions, 'schemaVersion' | 'onEnded'> & { storeTimeout: number }
): Promise<boolean> {
  const timeout = store.inProcess === true ? undefined : options.storeTimeout
  const call: StoreCall = (operation, run) => attemptStore(operation, run, timeout)
  const ending: EndRecordOptions = { call }
  if (options.schemaVersion !== undefined) ending.schemaVersion = options.schemaVersion
  if (options.onEnded !== undefined) ending.onEnded = options.onEnded
  return inSaveLane(store, key, options.storeTimeout, async (lane) => {
    const ended = await endRecord(store, key, ending)
    lane.last = null
    return ended
  })
}

/** What `key` holds: a missing record looked up under its moved-marker key, a corrupt one gone. */
async function fetchState(store: SessionStore, key: string, call: StoreCall) {
  try {
    const state = stateOf(await call('load', () => store.load(key)))
    if (state.kind !== 'gone') return state
    const marker = stateOf(await call('load', () => store.load(movedMarkerKey(key))))
    return marker.kind === 'moved' ? marker : GONE
  } catch (error) {
    if (isSessionError(error) && error.code === 'INVALID_STORED_DATA') return GONE
    throw error
  }
}

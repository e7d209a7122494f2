import { issueOf } from './engine-events.js'
import { corruptRecord, isSessionError } from './errors.js'
import { parseExpiry } from './expiry.js'
import type { JsonObject } from './json.js'
import {
  GONE,
  isLiveRecord,
  isRecordShape,
  movedMarkerKey,
  stateOf,
  type RecordState,
} from './record-markers.js'
import { schemaVersionOf } from './session-config.js'
import { NO_DATA } from './session-data.js'
import type { SessionInner } from './session-inner.js'
import { NONE, UNLOADED, storedState } from './session-state.js'
import type { SessionRecord } from './store.js'

/*
 * Loading and adoption: how a request's session finds its record and takes it as the base of
 * its data, at the first read and again whenever the save protocol meets a fresher record.
 */

/** A record the store answered already (`undefined`: none), to be taken as the load's answer. */
interface Loaded {
  readonly record: SessionRecord | undefined
}

const RESOLVED = Promise.resolve()

/** What `fetchRecord` answers for a record dropped as undecodable, or ended by `absoluteTimeout`. */
const DROPPED: RecordState = Object.freeze({ kind: 'gone' })

/**
 * Loads the record the session's id names, if it has not been loaded; concurrent calls share
 * one store round trip. An unknown, expired or timed-out id is dropped: it is never adopted.
 */
export function loadSession(session: SessionInner): Promise<void> {
  const state = session.state
  if (state.kind === 'loading') return state.done
  if (state.kind !== 'unloaded') return RESOLVED
  const key = session.recordKey()
  if (key === undefined) {
    settleLoad(session, key, GONE) // no id: nothing to ask the store
    return RESOLVED
  }
  let first: Loaded | undefined
  const calls = session.calls
  if (calls !== undefined) {
    try {
      first = { record: calls.load(key) }
    } catch {
      // The async way asks again, and reports the failure as every store failure is.
    }
    if (first !== undefined && isAdoptable(session, first.record)) {
      session.events?.loaded(first.record)
      session.data.rebase(adopt(session, first.record))
      return RESOLVED
    }
  }
  const done = load(session, key, first)
  // `load` may have settled the state already (an in-process store answers in microtasks, but
  // never synchronously); only a load still under way is recorded as one.
  if (session.state.kind === 'unloaded') session.state = { kind: 'loading', done }
  return done
}

async function load(session: SessionInner, key: string, first?: Loaded): Promise<void> {
  let state: RecordState
  try {
    state = await fetchRecord(session, key, true, first)
  } catch (error) {
    // A failed load may be tried again (unless a flush meanwhile settled the state).
    if (session.state.kind === 'loading') session.state = UNLOADED
    throw error
  }
  settleLoad(session, key, state)
}

/** Takes the loaded state in: a live record adopted, anything else read as no session. */
function settleLoad(session: SessionInner, key: string | undefined, state: RecordState): void {
  if (state.kind === 'live') {
    session.events?.loaded(state.record)
    session.data.rebase(adopt(session, state.record))
    return
  }
  // A verified id whose record is not there (a dropped or timed-out one is told of already).
  if (state === GONE && key !== undefined) session.events?.expired(key, 'load')
  // Unknown, expired or gone: never adopted. A moved one leaves this request inert.
  session.state = state.kind === 'moved' ? { kind: 'lost', to: 'login', movedFrom: key } : NONE
  session.id = undefined
  session.data.rebase(NO_DATA)
}

/**
 * The record at `key` as a state: corrupt records by the policy, timed-out ones deleted. With
 * `markers`, a missing record is looked up once more under its moved-marker key, to tell a
 * session that a concurrent `cycleId` moved from one that ended.
 */
export async function fetchRecord(
  session: SessionInner,
  key: string,
  markers = false,
  first?: Loaded
): Promise<RecordState> {
  const { budget, store, config } = session
  let record: SessionRecord | undefined
  try {
    record = first !== undefined ? first.record : await budget.call('load', () => store.load(key))
    if (record !== undefined && !isRecordShape(record)) throw corruptRecord(key)
  } catch (error) {
    if (!isSessionError(error) || error.code !== 'INVALID_STORED_DATA') throw error
    const decision = config.onCorruptRecord?.(error) ?? 'drop'
    session.reportInvalid({ reason: 'record', issues: [issueOf(error)], decision }, key)
    if (decision === 'throw') throw error
    return DROPPED
  }
  const state = stateOf(record)
  if (state.kind === 'gone' && markers) {
    const marker = await budget.call('load', () => store.load(movedMarkerKey(key)))
    return stateOf(marker).kind === 'moved' ? stateOf(marker) : GONE
  }
  const timeout = config.absoluteTimeout
  if (state.kind === 'live' && timeout !== undefined) {
    if (state.record.createdAt + timeout * 1000 <= session.now()) {
      await budget.call('delete', () => store.delete(key))
      session.events?.expired(key, 'absoluteTimeout')
      return DROPPED
    }
  }
  return state
}

/** True for a record the common path adopts at once: live, well-formed, within its timeout. */
function isAdoptable(
  session: SessionInner,
  record: SessionRecord | undefined
): record is SessionRecord {
  if (record === undefined || !isRecordShape(record) || !isLiveRecord(record)) return false
  const timeout = session.config.absoluteTimeout
  return timeout === undefined || record.createdAt + timeout * 1000 > session.now()
}

/**
 * Takes a live record as the base: its metadata, expiry and owner become the `stored` state,
 * and its (upgraded) data is returned for the overlay, as it is (the overlay never writes it).
 */
export function adopt(session: SessionInner, record: SessionRecord): JsonObject {
  session.state = storedState(record, parseExpiry(record.expiry))
  const upgrade = session.config.upgrade
  if (upgrade === undefined || record.schemaVersion === schemaVersionOf(session.config)) {
    return record.data
  }
  const data = upgrade(record)
  if (data === undefined) return NO_DATA
  // Upgraded: saved under the current version at the end of this request.
  session.modified = true
  return data
}

import { issueOf } from './engine-events.js'
import { SessionError, storeFailure } from './errors.js'
import type { InProcessCalls } from './in-process-calls.js'
import { MAX_JSON_DEPTH, checkJsonSize, nestsDeeperThan, type JsonObject } from './json.js'
import {
  markerRecord,
  movedMarkerKey,
  stateOf,
  writeToken,
  type RecordState,
} from './record-markers.js'
import { laneIsFree, type SaveLane } from './save-lanes.js'
import { DEFAULT_CONFLICT_TIMEOUT, maxSizeOf, schemaVersionOf } from './session-config.js'
import { generateSessionId, recordKeyOf } from './session-id.js'
import type { SessionInner } from './session-inner.js'
import { adopt, fetchRecord, loadSession } from './session-loading.js'
import { storedState } from './session-state.js'
import type { CreateOptions, SessionRecord } from './store.js'

/*
 * The save protocol (DESIGN.md §8): a new session is created under a fresh id; a stored one is
 * saved with a compare-and-set against the version it was loaded at, and when a concurrent
 * request saved first, the fresh record is put under the data and this request's changes are
 * replayed on it; after `cycleId` the session moves to a new id, and a logout that got there
 * first wins. Every write carries a fresh token, by which a write whose reply was lost is
 * recognized as this request's own and never applied twice.
 */

/** How many fresh ids a create draws before giving up with `ID_COLLISION`. */
const CREATE_ATTEMPTS = 5
/** The first backoff after a conflict is up to this many ms; each next one doubles, to the cap. */
const BACKOFF_BASE_MS = 4
const BACKOFF_CAP_MS = 250

/** What `create` is told about the record of a session that called `cycleId`. */
const CYCLED: CreateOptions = Object.freeze({ cycled: true })

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A record built from the session, and the data it holds. */
interface Built {
  record: SessionRecord
  data: JsonObject
}

/**
 * Persists a loaded session (unless it is lost): a create for a session with no stored record,
 * else a compare-and-set (or a move, after `cycleId`) in the record's save lane. Undefined when
 * it saved at once (`saveNow`).
 */
export function saveSession(session: SessionInner): Promise<void> | undefined {
  if (session.lostTo !== undefined) return undefined // ended under this request: nothing to save
  session.saveStarted = session.events?.clock('saved') ?? 0
  if (session.calls !== undefined && saveNow(session, session.calls)) return undefined
  const stored = session.stored
  if (stored === undefined) return create(session)
  return session.budget.inLane(stored.key, (lane) =>
    session.cycling ? move(session, lane) : compareAndSet(session, lane)
  )
}

/**
 * `save()` (after `change`): loads the session if it must, then saves it. Undefined when both
 * were done at once (an in-process store loads and mostly saves at once), else the promise.
 */
export function saveAtOnce(session: SessionInner): Promise<void> | undefined {
  session.change()
  const loading = loadSession(session)
  return session.isLoaded ? saveSession(session) : loading.then(() => saveSession(session))
}

async function compareAndSet(session: SessionInner, lane: SaveLane): Promise<void> {
  const { budget, store, events } = session
  const deadline = deadlineOf(session)
  for (let attempt = 1; ; attempt++) {
    if (catchUp(session, lane)) return
    const started = events?.clock('conflict')
    const stored = session.stored!
    const built = build(session, stored.key, stored.createdAt, stored.version + 1)
    const { record } = built
    if (await budget.call('save', () => store.save(record, stored.version))) {
      lane.last = record
      return settle(session, built, attempt)
    }
    const fresh = await fetchRecord(session, stored.key, true)
    if (fresh.kind === 'live' && fresh.record.token === record.token) {
      lane.last = record // our own write, whose reply was lost: never apply it twice
      return settle(session, built, attempt)
    }
    events?.conflict(stored.key, attempt, started!)
    if (rebase(session, fresh)) return
    await backoff(session, attempt, deadline)
  }
}

/**
 * `cycleId`'s save: the data under a new id, then a compare-and-set of the old record to a
 * moved marker (the moment the session moves; a logout or another login that got there first
 * wins), then the marker under `movedMarkerKey` for racing requests, then the old record is
 * deleted. Only the login that moved the session writes that marker: a login that lost to
 * another one finds the winner's marker and leaves the browser on the winner's cookie.
 */
async function move(session: SessionInner, lane: SaveLane): Promise<void> {
  if (catchUp(session, lane)) return
  const { budget, store, events } = session
  const deadline = deadlineOf(session)
  const schemaVersion = schemaVersionOf(session.config)
  let created = await insert(session, session.stored!.createdAt)
  const to = created.record.key
  for (let attempt = 1; ; attempt++) {
    const started = events?.clock('conflict')
    const stored = session.stored!
    const moved = markerRecord(stored.key, stored.version + 1, schemaVersion, session.now(), to)
    if (!(await budget.call('save', () => store.save(moved, stored.version)))) {
      const fresh = await fetchRecord(session, stored.key, true)
      const ours = fresh.kind === 'moved' && fresh.to === to // the reply was lost
      if (!ours) {
        if (fresh.kind !== 'live') {
          // A logout (or another login) came first: nothing of this login may outlive it.
          await budget.call('delete', () => store.delete(to))
          rebase(session, fresh)
          return
        }
        // A concurrent write reached the old record first: carry it into the new one.
        events?.conflict(stored.key, attempt, started!)
        rebase(session, fresh)
        const rebuilt = build(session, to, stored.createdAt, 0)
        await budget.call('save', () => store.save(rebuilt.record))
        created = { ...rebuilt, id: created.id }
        await backoff(session, attempt, deadline)
        continue
      }
    }
    lane.last = moved
    const marker = markerRecord(movedMarkerKey(stored.key), 0, schemaVersion, session.now(), to)
    await budget.call('save', () => store.save(marker))
    await budget.call('delete', () => store.delete(stored.key))
    session.id = created.id
    events?.created(created.record, true)
    events?.cycled(to, stored.key)
    return settle(session, created, attempt)
  }
}

/**
 * The common save of an in-process store, at once: the first create under a fresh id, or a
 * compare-and-set while no other save of the record is in this process's lane (none can start
 * meanwhile: nothing here awaits). False, having changed nothing, for the async protocol to
 * take over: a collision, a conflict, a move, a busy lane. A throwing call is a store failure.
 */
function saveNow(session: SessionInner, calls: InProcessCalls): boolean {
  const stored = session.stored
  if (stored === undefined) {
    const id = generateSessionId()
    const built = build(session, recordKeyOf(id, true), session.now(), 0)
    const options = session.cycling ? CYCLED : undefined
    if (!callNow('create', () => calls.create(built.record, options))) return false
    session.id = id
    session.events?.created(built.record, false)
    settle(session, built)
    return true
  }
  if (session.cycling || !laneIsFree(session.store, stored.key)) return false
  const built = build(session, stored.key, stored.createdAt, stored.version + 1)
  if (!callNow('save', () => calls.save(built.record, stored.version))) return false
  settle(session, built)
  return true
}

/** A synchronous store call, its failure as `attemptStore` reports it. */
function callNow(operation: string, run: () => boolean): boolean {
  try {
    return run()
  } catch (cause) {
    throw storeFailure(operation, cause)
  }
}

/** A new session: the data under a fresh id. */
async function create(session: SessionInner): Promise<void> {
  const created = await insert(session, session.now())
  session.id = created.id
  session.events?.created(created.record, false)
  settle(session, created)
}

/** Inserts the data under a freshly drawn id (drawing again on a collision). */
async function insert(session: SessionInner, createdAt: number): Promise<Built & { id: string }> {
  const { budget, store } = session
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const id = generateSessionId()
    const { record, data } = build(session, recordKeyOf(id, true), createdAt, 0)
    const options = session.cycling ? CYCLED : undefined
    if (await budget.call('create', () => store.create(record, options))) {
      return { id, record, data }
    }
  }
  throw new SessionError(
    'ID_COLLISION',
    `${CREATE_ATTEMPTS} freshly drawn session ids all existed in the store; check that the store's create() returns false only for an existing key.`
  )
}

/** Takes in what an earlier save in this process's lane wrote; true if the session ended. */
function catchUp(session: SessionInner, lane: SaveLane): boolean {
  const last = lane.last
  if (last === undefined) return false
  if (last !== null && last.version <= session.stored!.version) return false
  return rebase(session, stateOf(last))
}

/**
 * Puts a fresher state of the record under the data and replays this request's changes on
 * it; true when the record is gone or moved, which ends this request's session instead.
 */
function rebase(session: SessionInner, state: RecordState): boolean {
  if (state.kind !== 'live') {
    session.reset({ kind: 'lost', to: state.kind === 'gone' ? 'logout' : 'login' })
    session.modified = false
    return true
  }
  session.data.settle(adopt(session, state.record))
  session.log.replayOn(session.data)
  return false
}

async function backoff(session: SessionInner, attempt: number, deadline: number): Promise<void> {
  if (performance.now() >= deadline) {
    throw new SessionError(
      'CONFLICT',
      `The session kept changing under concurrent requests; its save was given up after ${attempt} attempts in ${session.config.conflictTimeout ?? DEFAULT_CONFLICT_TIMEOUT} ms (conflictTimeout). Retry the request.`
    )
  }
  await pause(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt))
}

function deadlineOf(session: SessionInner): number {
  return performance.now() + (session.config.conflictTimeout ?? DEFAULT_CONFLICT_TIMEOUT)
}

/** After a write: the record is the new base, with no change pending. */
function settle(session: SessionInner, { record, data }: Built, attempts = 1): void {
  session.events?.saved(record, attempts, session.saveStarted)
  session.state = storedState(record, record.expiry)
  session.data.settle(data)
  session.log.reset()
  session.cycling = false
  session.modified = false
  session.saved = true
}

/** The record a write sends: the session's data and facts under `key` at `version`. */
function build(session: SessionInner, key: string, createdAt: number, version: number): Built {
  const now = session.now()
  // One object is both what the store is sent and the session's base after the write: neither
  // the engine nor a store writes into a record's data.
  const data = session.data.toObject()
  dropUnwritable(session, data)
  const record: SessionRecord = {
    key,
    data,
    createdAt,
    expiresAt: session.expiresAtMs(now, createdAt),
    version,
    schemaVersion: schemaVersionOf(session.config),
    token: writeToken(),
  }
  const expiry = session.sessionExpiry
  if (expiry !== undefined) record.expiry = expiry
  const owner = session.owner
  if (owner !== undefined) record.owner = owner
  checkJsonSize(record.data, maxSizeOf(session.config), 'The session')
  return { record, data }
}

/**
 * A stored value nested deeper than a session can be written (`MAX_JSON_DEPTH`: this engine
 * never wrote it, and far deeper ones overflow the stack of `JSON.stringify` and of the
 * stores' codecs) would fail every save of the session, so it is stored data that does not
 * fit, whether or not the schema still has its key: the `onCorruptRecord` policy drops it from
 * what is saved (the default) or throws `INVALID_STORED_DATA`. This request's own values are
 * never that deep: `set` and `update` refuse them.
 */
function dropUnwritable(session: SessionInner, data: JsonObject): void {
  for (const key in data) {
    if (!Object.hasOwn(data, key) || !nestsDeeperThan(data[key]!, MAX_JSON_DEPTH)) continue
    const error = new SessionError(
      'INVALID_STORED_DATA',
      `The stored value of session key "${key}" is nested over ${MAX_JSON_DEPTH} levels deep, more than a session can write back. Remove it from the store, or use onInvalid: 'drop' to discard such values at the next save.`
    )
    const decision = session.config.onCorruptRecord?.(error) ?? 'drop'
    session.reportInvalid({ reason: 'value', key, issues: [issueOf(error)], decision })
    if (decision === 'throw') throw error
    delete data[key]
  }
}

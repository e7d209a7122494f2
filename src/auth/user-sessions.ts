import { safeParse } from 'zod/v4/core'
import { revokeRecord } from '../core/end-record.js'
import { handleOf, isHandle, noOwnerIndex, ownerKeyOf } from '../core/owner.js'
import { stateOf } from '../core/record-markers.js'
import type { SessionRecord, SessionStore } from '../core/store.js'
import { RESERVED_DATA_KEY, type SessionDefinition } from '../schema/define-session.js'
import { upgradeData } from '../schema/upgrade.js'
import { readDetails, type DeviceDetails } from './device-details.js'
import { decodeFields, type SessionFieldsSchema, type SessionInfo } from './sessions-per-user.js'

/** What listing a user's sessions needs to know of the app. */
export interface UserSessionsContext {
  /** The session definition: the user key's schema, and how to upgrade older records. */
  readonly definition: SessionDefinition
  /** The key holding the login (`{ id, … }`); undefined: every session bound to the user. */
  readonly userKey: string | undefined
  /** The app's fields schema, if any. */
  readonly fields: SessionFieldsSchema | undefined
  /** The clock, in epoch milliseconds. */
  readonly now: () => number
  /** Milliseconds each store call of a revocation may take. */
  readonly storeTimeout: number
}

/** One live session of a user: its record, its device details, and what a page shows of it. */
export interface UserSession {
  readonly record: SessionRecord
  readonly details: DeviceDetails | undefined
  readonly info: SessionInfo<Record<string, unknown>>
}

/**
 * The text an id is bound under: a string as it is, a number or bigint in decimal, anything
 * else as JSON (an id the app keeps as an object).
 */
export function userIdText(id: unknown): string {
  if (typeof id === 'string') return id
  if (typeof id === 'number' || typeof id === 'bigint') return String(id)
  return JSON.stringify(id) ?? String(id)
}

/** The store's `listOwner`, or `CONFIG` naming the stores that have one. */
function listOwnerOf(store: SessionStore, what: string) {
  if (typeof store.listOwner !== 'function') throw noOwnerIndex(what)
  return (owner: string) => store.listOwner!(owner)
}

/**
 * The live sessions of `userId` in `store`, newest first (by `lastSeenAt`, then `loginAt`),
 * `currentKey`'s marked current. Only records that still hold that user under the user key are
 * listed (a logout by `delete('user')` leaves a bound record that is no login).
 * @throws SessionError `CONFIG` on a store without an owner index
 */
export async function listUserSessions(
  context: UserSessionsContext,
  store: SessionStore,
  userId: unknown,
  currentKey?: string,
  what = 'Listing the sessions of a user'
): Promise<UserSession[]> {
  const idText = userIdText(userId)
  const records = await listOwnerOf(store, what)(ownerKeyOf(idText))
  const now = context.now()
  const sessions: UserSession[] = []
  for (const record of records) {
    // A store lists live records only; markers and expired ones are skipped all the same.
    if (stateOf(record).kind !== 'live' || record.expiresAt <= now) continue
    const data = currentData(context.definition, record)
    if (data === undefined || !holdsUser(context, data, idText)) continue
    const details = readDetails(data[RESERVED_DATA_KEY])
    sessions.push({ record, details, info: infoOf(context, record, details, currentKey) })
  }
  return sessions.sort(
    (a, b) =>
      b.info.lastSeenAt.getTime() - a.info.lastSeenAt.getTime() ||
      b.info.loginAt.getTime() - a.info.loginAt.getTime() ||
      (a.record.key < b.record.key ? -1 : 1)
  )
}

/** The session of `sessions` with this handle; garbage or another's handle finds none. */
export function sessionWithHandle(sessions: UserSession[], handle: unknown) {
  if (!isHandle(handle)) return undefined
  return sessions.find((session) => session.info.handle === handle)
}

/** Ends each of `sessions` ("logout wins"); returns how many were live and are now ended. */
export async function endSessions(
  context: UserSessionsContext,
  store: SessionStore,
  sessions: readonly UserSession[]
): Promise<number> {
  const options = { storeTimeout: context.storeTimeout, schemaVersion: context.definition.version }
  const ended = await Promise.all(
    sessions.map((session) => revokeRecord(store, session.record.key, options))
  )
  return ended.filter(Boolean).length
}

/** The record's data under the current schema version, or undefined when it cannot be read. */
function currentData(definition: SessionDefinition, record: SessionRecord) {
  if (record.schemaVersion === definition.version) return record.data
  const upgraded = upgradeData(definition, record.data, record.schemaVersion)
  return upgraded.ok ? upgraded.data : undefined
}

function holdsUser(context: UserSessionsContext, data: SessionRecord['data'], idText: string) {
  const { userKey, definition } = context
  if (userKey === undefined) return true
  const schema = definition.schema._zod.def.shape[userKey]
  if (schema === undefined) return false
  const parsed = safeParse(schema, data[userKey])
  const id = parsed.success ? (parsed.data as { id?: unknown } | undefined)?.id : undefined
  return id !== undefined && userIdText(id) === idText
}

function infoOf(
  context: UserSessionsContext,
  record: SessionRecord,
  details: DeviceDetails | undefined,
  currentKey: string | undefined
): SessionInfo<Record<string, unknown>> {
  // A session bound without a login of `typed-sessions/auth` has no details: its creation.
  const loginAt = details?.loginAt ?? record.createdAt
  const info: Record<string, unknown> = {
    ...decodeFields(context.fields, details?.fields),
    handle: handleOf(record.key),
    current: record.key === currentKey,
    createdAt: new Date(record.createdAt),
    loginAt: new Date(loginAt),
    lastSeenAt: new Date(details?.lastSeenAt ?? loginAt),
  }
  if (details?.userAgent !== undefined) info['userAgent'] = details.userAgent
  if (details?.ip !== undefined) info['ip'] = details.ip
  return Object.freeze(info) as SessionInfo<Record<string, unknown>>
}

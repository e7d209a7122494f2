import type { JsonObject, JsonValue } from '../core/json.js'
import type { Session } from '../core/session.js'
import { RESERVED_DATA_KEY } from '../schema/define-session.js'
import type { ClientInfo } from '../schema/session-types.js'
import { keptAddress, type IpPolicy } from './client-address.js'
import { summarizeUserAgent } from './user-agent.js'

/**
 * What a logged-in session keeps about its login and device, in its data under the reserved key
 * `$session` (a JSON object, so stores need no change; the typed session never shows it).
 * Times are epoch milliseconds.
 */
export interface DeviceDetails {
  /** When the user logged in, or last re-authenticated (`requireFresh` reads it). */
  loginAt: number
  /** When the session was last used, refreshed at most once per `lastSeenEvery`. */
  lastSeenAt: number
  /** A summary of the user agent, e.g. "Firefox 133 on macOS". */
  userAgent?: string
  /** The client's IP address as the `ip` policy keeps it. */
  ip?: string
  /** The app's own fields, as its `fields` schema encoded them. */
  fields?: JsonObject
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The device details a session's data holds, or undefined when it holds none (or garbage). */
export function readDetails(value: JsonValue | undefined): DeviceDetails | undefined {
  if (!isObject(value)) return undefined
  const { loginAt, lastSeenAt, userAgent, ip, fields } = value
  if (!Number.isFinite(loginAt) || !Number.isFinite(lastSeenAt)) return undefined
  const details: DeviceDetails = { loginAt: loginAt as number, lastSeenAt: lastSeenAt as number }
  if (typeof userAgent === 'string') details.userAgent = userAgent
  if (typeof ip === 'string') details.ip = ip
  if (isObject(fields)) details.fields = fields
  return details
}

/** The details of a login at `now` from `client`, the IP kept as `ip` says. */
export function detailsOfLogin(
  now: number,
  client: ClientInfo,
  ip: IpPolicy,
  fields: JsonObject | undefined
): DeviceDetails {
  const details: DeviceDetails = { loginAt: now, lastSeenAt: now }
  const userAgent = summarizeUserAgent(client.userAgent)
  if (userAgent !== undefined) details.userAgent = userAgent
  const address = keptAddress(client.ip, ip)
  if (address !== undefined) details.ip = address
  if (fields !== undefined) details.fields = fields
  return details
}

/** Writes `details` into the session's data. */
export async function writeDetails(engine: Session, details: DeviceDetails): Promise<void> {
  await engine.set(RESERVED_DATA_KEY, details)
}

/** The session's device details (a read of loaded data: no store call once the user is read). */
export async function detailsOf(engine: Session): Promise<DeviceDetails | undefined> {
  return readDetails(await engine.get(RESERVED_DATA_KEY))
}

/**
 * Moves `lastSeenAt` to `now` when it is at least `everyMs` old: a data write, so a returning
 * visitor pays one at most once per period. An update, so that a concurrent request's details
 * are kept and the newest time wins.
 */
export async function refreshLastSeen(engine: Session, now: number, everyMs: number) {
  const details = await detailsOf(engine)
  if (details === undefined || now - details.lastSeenAt < everyMs) return
  await engine.update(RESERVED_DATA_KEY, (current) => {
    const fresh = readDetails(current)
    if (fresh === undefined) return current
    return { ...(current as JsonObject), lastSeenAt: Math.max(fresh.lastSeenAt, now) }
  })
}

/** Sets `loginAt` (and `lastSeenAt`) to `now`: a re-authentication. */
export async function refreshLogin(engine: Session, now: number, fallback: DeviceDetails) {
  await engine.update(RESERVED_DATA_KEY, (current) => {
    const fresh = readDetails(current)
    if (fresh === undefined) return { ...fallback }
    return { ...(current as JsonObject), loginAt: now, lastSeenAt: Math.max(fresh.lastSeenAt, now) }
  })
}

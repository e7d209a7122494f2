import type { $ZodObject, $ZodType, input, output } from 'zod/v4/core'
import { safeParse } from 'zod/v4/core'
import { SessionError } from '../core/errors.js'
import { cloneJson, type JsonObject } from '../core/json.js'
import { describeIssues } from '../schema/issues.js'
import { isPlainSchema, unstorableReason } from '../schema/plain-schema.js'
import { safeEncode } from '../schema/zod-encode.js'
import { isIpPolicy, type IpPolicy } from './client-address.js'

export type { IpPolicy }

/** What `login` does when the user already has `limit` live sessions. */
export type WhenFull = 'end-oldest' | 'refuse'

/** The app's own fields of a session's device details: a `z.object`. */
export type SessionFieldsSchema = $ZodObject

/** Options of `createAuth({ sessionsPerUser })`: the limit, and what the device details keep. */
export interface SessionsPerUserOptions<F extends SessionFieldsSchema | undefined = undefined> {
  /**
   * The most live sessions one user may have; checked at each login. @default undefined (no
   * limit: sessions are still listed and can be revoked)
   */
  limit?: number
  /**
   * At a login beyond `limit`: `'end-oldest'` ends the sessions that logged in longest ago
   * (the newest `limit` survive), `'refuse'` throws `SessionError` `SESSION_LIMIT` and keeps the
   * old sessions. Under truly concurrent logins `'refuse'` may refuse one login more than
   * needed, never admit one too many. @default 'end-oldest'
   */
  whenFull?: WhenFull
  /**
   * The app's own fields of each session (a device name, a location), declared as a
   * `z.object`: `login(session, user, { fields })` validates them, and `SessionInfo` has them,
   * typed. @default undefined (none)
   */
  fields?: F
  /**
   * What the device details keep of the client's IP address (`session.client.ip`, from the
   * middleware's `clientIp`). @default 'truncate' (IPv4 /24, IPv6 /48)
   */
  ip?: IpPolicy
  /**
   * Seconds between two refreshes of a session's `lastSeenAt` (each one a write, by
   * `currentUser`). @default the middleware's `touchAfter`, else 300
   */
  lastSeenEvery?: number
}

/** What a page shows of one session of a user (DESIGN.md §12), plus the app's own fields. */
export type SessionInfo<Fields extends object = Record<never, never>> = SessionInfoBase &
  Readonly<Partial<Fields>>

/** The fields every `SessionInfo` has. */
export interface SessionInfoBase {
  /** Opaque and safe to show in a page: what `revokeSession` takes. Never the cookie's id. */
  readonly handle: string
  /** True for the session of the request that asked. */
  readonly current: boolean
  /** When the session began (its first visit: a login keeps it). */
  readonly createdAt: Date
  /** When the user logged in, or last re-authenticated. */
  readonly loginAt: Date
  /** When the session was last used (refreshed at most once per `lastSeenEvery`). */
  readonly lastSeenAt: Date
  /** A summary of the user agent, e.g. "Firefox 133 on macOS". */
  readonly userAgent?: string
  /** The client's IP address as the `ip` policy keeps it. */
  readonly ip?: string
}

/** The app fields' type in `SessionInfo`: the output of the `fields` schema. */
export type FieldsOf<F> = F extends SessionFieldsSchema ? output<F> : Record<never, never>

/** What `login` takes as the app's fields: the input of the `fields` schema. */
export type FieldsInput<F> = F extends SessionFieldsSchema ? input<F> : never

const INFO_KEYS = ['handle', 'current', 'createdAt', 'loginAt', 'lastSeenAt', 'userAgent', 'ip']
const DEFAULT_LAST_SEEN_EVERY = 300

/** `SessionsPerUserOptions` checked, with defaults. */
export interface ResolvedSessionsPerUser {
  /** True when the app passed `sessionsPerUser`: a store without an index is then refused. */
  readonly required: boolean
  readonly limit: number | undefined
  readonly whenFull: WhenFull
  readonly fields: SessionFieldsSchema | undefined
  readonly ip: IpPolicy
  /** Seconds, or undefined for the middleware's `touchAfter`, else 300. */
  readonly lastSeenEvery: number | undefined
}

/** Checks `createAuth({ sessionsPerUser })`; throws `CONFIG` naming the option at fault. */
export function resolveSessionsPerUser(
  options: SessionsPerUserOptions<SessionFieldsSchema | undefined> | undefined
): ResolvedSessionsPerUser {
  const { limit, whenFull = 'end-oldest', fields, ip = 'truncate', lastSeenEvery } = options ?? {}
  const refuse = (option: string, expected: string, got: unknown) => {
    throw new SessionError(
      'CONFIG',
      `createAuth({ sessionsPerUser: { ${option} } }) takes ${expected}; got ${String(got)}.`
    )
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    refuse('…', 'an object', options)
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    refuse('limit', 'an integer >= 1 (omit it for no limit)', limit)
  }
  if (whenFull !== 'end-oldest' && whenFull !== 'refuse') {
    refuse('whenFull', "'end-oldest' or 'refuse'", whenFull)
  }
  if (!isIpPolicy(ip)) refuse('ip', "'truncate', 'hash', 'full', 'none' or a function", ip)
  if (lastSeenEvery !== undefined && !(Number.isFinite(lastSeenEvery) && lastSeenEvery >= 0)) {
    refuse('lastSeenEvery', 'a number of seconds >= 0', lastSeenEvery)
  }
  if (fields !== undefined) checkFieldsSchema(fields)
  return { required: options !== undefined, limit, whenFull, fields, ip, lastSeenEvery }
}

/** Seconds between `lastSeenAt` refreshes: the option, else the middleware's `touchAfter`. */
export function lastSeenEveryOf(resolved: ResolvedSessionsPerUser, touchAfter?: number): number {
  return resolved.lastSeenEvery ?? touchAfter ?? DEFAULT_LAST_SEEN_EVERY
}

function checkFieldsSchema(fields: SessionFieldsSchema): void {
  const shape = (fields as Partial<SessionFieldsSchema> | null)?._zod?.def?.shape
  if (typeof shape !== 'object' || shape === null) {
    throw new SessionError(
      'CONFIG',
      'createAuth({ sessionsPerUser: { fields } }) takes a z.object() of the fields, e.g. z.object({ deviceName: z.string() }).'
    )
  }
  for (const [key, schema] of Object.entries(shape)) {
    if (INFO_KEYS.includes(key)) {
      throw new SessionError(
        'CONFIG',
        `sessionsPerUser.fields may not declare "${key}": SessionInfo has it already. Rename it.`
      )
    }
    const reason = unstorableReason(schema as $ZodType, key)
    if (reason !== undefined) {
      throw new SessionError(
        'CONFIG',
        `sessionsPerUser.fields "${key}" has ${reason}, which JSON cannot store; declare it with a z.codec() that stores a string.`
      )
    }
  }
}

/** The app's fields of a login, validated and encoded for storing; `INVALID_VALUE` if wrong. */
export function encodeFields(
  schema: SessionFieldsSchema | undefined,
  fields: unknown
): JsonObject | undefined {
  if (schema === undefined) {
    if (fields === undefined) return undefined
    throw new SessionError(
      'INVALID_VALUE',
      'login(session, user, { fields }) got fields, but createAuth has no sessionsPerUser.fields schema to check them with. Declare one.'
    )
  }
  const value = (fields ?? {}) as Record<string, unknown>
  const result = isPlainSchema(schema) ? safeParse(schema, value) : safeEncode(schema, value)
  if (!result.success) {
    throw new SessionError(
      'INVALID_VALUE',
      `Invalid session fields at login: ${describeIssues(result.error.issues)}. Pass fields that match sessionsPerUser.fields.`,
      { cause: result.error }
    )
  }
  return cloneJson(result.data, 'sessionsPerUser.fields') as JsonObject
}

/** The app's fields of a stored session, decoded; none when they no longer fit the schema. */
export function decodeFields(
  schema: SessionFieldsSchema | undefined,
  stored: JsonObject | undefined
): Record<string, unknown> {
  if (schema === undefined || stored === undefined) return {}
  const result = safeParse(schema, stored)
  return result.success ? (result.data as Record<string, unknown>) : {}
}

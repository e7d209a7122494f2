import type { $ZodObject } from 'zod/v4/core'
import type { JsonObject } from '../core/json.js'
import { redactSensitive } from '../schema/sensitive.js'
import {
  endSessions,
  listUserSessions,
  sessionWithHandle,
  type UserSessionsContext,
} from '../auth/user-sessions.js'
import type { SessionInfo } from '../auth/sessions-per-user.js'
import type { CliConfig } from './config.js'
import type { CommandOptions } from './commands.js'
import type { CliOutput } from './output.js'

/** Milliseconds each store call of a revocation may take, as in a request. */
const STORE_TIMEOUT = 5000

/** The fields of `SessionInfo` itself: the rest are the app's, redacted as its schema marks. */
const INFO_KEYS = new Set([
  'handle',
  'current',
  'createdAt',
  'loginAt',
  'lastSeenAt',
  'userAgent',
  'ip',
])

/**
 * How the CLI reads a user's sessions: the config's `userKey` (else `user`, when the schema has
 * it) and its `sessionFields`.
 */
function contextOf(config: CliConfig): UserSessionsContext {
  const shape = config.definition.schema._zod.def.shape
  const userKey = config.userKey ?? (Object.hasOwn(shape, 'user') ? 'user' : undefined)
  return {
    definition: config.definition,
    userKey,
    fields: config.sessionFields,
    now: Date.now,
    storeTimeout: STORE_TIMEOUT,
  }
}

/** A session for output: dates as ISO strings, the app's fields redacted as `sensitive()` marks. */
function describeInfo(info: SessionInfo<Record<string, unknown>>, fields: $ZodObject | undefined) {
  const own: Record<string, unknown> = {}
  const app: JsonObject = {}
  for (const [key, value] of Object.entries(info)) {
    if (key === 'current') continue
    if (INFO_KEYS.has(key)) own[key] = value instanceof Date ? value.toISOString() : value
    else app[key] = value as JsonObject[string]
  }
  const redacted =
    fields === undefined ? app : redactSensitive({ versions: [{ schema: fields }] } as never, app)
  return { ...own, ...redacted }
}

/** `sessions <userId>`: the user's live sessions, newest first. */
export async function sessions(
  config: CliConfig,
  userId: string,
  options: CommandOptions,
  output: CliOutput
) {
  const context = contextOf(config)
  const listed = await listUserSessions(context, config.store, userId, undefined, '`sessions`')
  const described = listed.map((session) => describeInfo(session.info, context.fields))
  if (options.json) return output.out(JSON.stringify(described))
  output.out(`${listed.length} live session${listed.length === 1 ? '' : 's'} of user ${userId}`)
  for (const info of described as Record<string, unknown>[]) {
    const fields = Object.entries(info).filter(([key]) => !INFO_KEYS.has(key))
    const device = [info['userAgent'] ?? 'unknown device', info['ip']].filter(Boolean).join(', ')
    const extra = fields.length > 0 ? ` ${JSON.stringify(Object.fromEntries(fields))}` : ''
    output.out(
      `  ${String(info['handle'])}  ${device}  logged in ${String(info['loginAt'])}, last seen ${String(info['lastSeenAt'])}${extra}`
    )
  }
}

/** `revoke <handle> --user <userId>`: ends one session of the user; exit code 1 if none. */
export async function revoke(
  config: CliConfig,
  handle: string,
  userId: string,
  options: CommandOptions,
  output: CliOutput
): Promise<number> {
  const context = contextOf(config)
  const listed = await listUserSessions(context, config.store, userId, undefined, '`revoke`')
  const found = sessionWithHandle(listed, handle)
  const ended = found === undefined ? 0 : await endSessions(context, config.store, [found])
  if (options.json) output.out(JSON.stringify({ revoked: ended === 1 }))
  else if (ended === 1) output.out(`revoked session ${handle} of user ${userId}`)
  if (ended === 1) return 0
  if (!options.json) output.err(`No live session ${handle} of user ${userId}.\n`)
  return 1
}

/** `revoke-user <userId>`: ends every session of the user. */
export async function revokeUser(
  config: CliConfig,
  userId: string,
  options: CommandOptions,
  output: CliOutput
) {
  const context = contextOf(config)
  const listed = await listUserSessions(context, config.store, userId, undefined, '`revoke-user`')
  const ended = await endSessions(context, config.store, listed)
  output.out(options.json ? JSON.stringify({ ended }) : `ended ${ended} sessions of user ${userId}`)
}

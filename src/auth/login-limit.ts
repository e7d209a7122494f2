import { SessionError } from '../core/errors.js'
import type { Session } from '../core/session.js'
import type { ResolvedSessionsPerUser } from './sessions-per-user.js'
import {
  endSessions,
  listUserSessions,
  type UserSession,
  type UserSessionsContext,
} from './user-sessions.js'

/*
 * The limit on a user's live sessions (DESIGN-16), under 20 concurrent logins of one user:
 *
 * - Each login saves its record first, then lists the user's sessions. The listing is
 *   linearizable, so the login that lists last sees every record saved before: with
 *   'end-oldest' it ends all but the newest `limit` (by `loginAt`, then record key: one order for
 *   every login, so all agree on which survive), and a login that lists earlier ends only
 *   sessions older than `limit` others it saw, never one of the overall newest.
 * - With 'refuse', a login keeps its session only if fewer than `limit` other live sessions are
 *   listed. Of the admitted logins, the one that listed last saw all the others: so no more than
 *   `limit` are ever admitted. A refused login's record may still be listed by a login that runs
 *   at the same moment, which may then refuse too: one more refusal than needed, never one
 *   admission too many.
 * - Before the `cycleId`, a first listing refuses the common, sequential case without touching
 *   the session, and makes each login's `loginAt` later than every session it saw: sequential
 *   logins (even within one millisecond) are then always the newest.
 */

/** The error of a login beyond the limit. */
function limitReached(limit: number, endedByNewer = false): SessionError {
  return new SessionError(
    'SESSION_LIMIT',
    endedByNewer
      ? `This login was ended at once: the user logged in ${limit} more times at the same moment, and only the newest ${limit} sessions are kept (sessionsPerUser.limit). Log in again.`
      : `The user already has ${limit} live sessions (sessionsPerUser.limit, whenFull: 'refuse'). Sign out of one (auth.revokeSession) and log in again.`
  )
}

/**
 * The first listing of a login with a limit: refuses a full user with `SESSION_LIMIT` under
 * 'refuse' (the session untouched), and returns the `loginAt` for the new session: now, or just
 * after the newest login listed.
 */
export async function checkBeforeLogin(
  context: UserSessionsContext,
  perUser: ResolvedSessionsPerUser,
  engine: Session,
  userId: unknown
): Promise<number> {
  const now = context.now()
  const limit = perUser.limit
  if (limit === undefined) return now
  const currentKey = engine.recordKey
  const others = (await listUserSessions(context, engine.config.store, userId)).filter(
    (session) => session.record.key !== currentKey
  )
  if (perUser.whenFull === 'refuse' && others.length >= limit) throw limitReached(limit)
  return Math.max(now, ...others.map((session) => session.info.loginAt.getTime() + 1))
}

/**
 * After the login's record is saved: ends the oldest sessions beyond the limit ('end-oldest'),
 * or ends this login's own session and throws `SESSION_LIMIT` ('refuse', or 'end-oldest' when
 * newer concurrent logins leave this one outside the newest `limit`).
 */
export async function enforceLimitAfterLogin(
  context: UserSessionsContext,
  perUser: ResolvedSessionsPerUser,
  engine: Session,
  userId: unknown
): Promise<void> {
  const limit = perUser.limit
  if (limit === undefined) return
  const store = engine.config.store
  const currentKey = engine.recordKey
  const sessions = await listUserSessions(context, store, userId)
  if (perUser.whenFull === 'refuse') {
    const others = sessions.filter((session) => session.record.key !== currentKey)
    if (others.length < limit) return
    await engine.flush()
    throw limitReached(limit)
  }
  const beyond = sessions.sort(newestLoginFirst).slice(limit)
  if (beyond.length === 0) return
  const own = beyond.some((session) => session.record.key === currentKey)
  await endSessions(
    context,
    store,
    beyond.filter((session) => session.record.key !== currentKey)
  )
  if (!own) return
  await engine.flush()
  throw limitReached(limit, true)
}

/** Newest login first: by `loginAt`, then by record key (one order every login agrees on). */
function newestLoginFirst(a: UserSession, b: UserSession): number {
  return (
    b.info.loginAt.getTime() - a.info.loginAt.getTime() ||
    (a.record.key < b.record.key ? 1 : a.record.key > b.record.key ? -1 : 0)
  )
}

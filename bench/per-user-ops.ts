import { ownerKeyOf } from 'typed-sessions'
import { LIMIT, send, type PerUserBenchApp } from './per-user-app.js'
import { recordsOfUser, userIdOf, type Population, type SeededStore } from './per-user-records.js'

/*
 * One measured request of bench/per-user.ts each: what a "your devices" page and a login cost a
 * user who has LIMIT sessions. Around it, unmeasured: the login the request needs (a user with
 * a browser of their own), and afterwards the user put back to their LIMIT seeded sessions, so
 * every sample starts from the same state and the store keeps its size.
 */

/** The operations measured, as the README names them. */
export const OPERATIONS = [
  "list a user's sessions (listSessions)",
  'revoke one (revokeSession)',
  'revoke all others (revokeOtherSessions)',
  'log in at the limit (limit 10, end-oldest)',
] as const

export type Operation = (typeof OPERATIONS)[number]

/** A seeded store and the app on it. */
export interface Subject {
  target: SeededStore
  app: PerUserBenchApp
  population: Population
}

/** One measured request: its wall time, and the commands or statements the store sent. */
export interface Sample {
  micros: number
  calls: number
}

/** Runs `request`, timed and its store calls counted; returns its body too. */
async function timed(subject: Subject, request: () => Promise<string>) {
  const calls = subject.target.calls()
  const start = performance.now()
  const body = await request()
  const micros = (performance.now() - start) * 1000
  return { body, sample: { micros, calls: subject.target.calls() - calls } }
}

function expectBody(operation: Operation, body: string, expected: string): void {
  if (body !== expected) throw new Error(`${operation} answered ${body}, not ${expected}`)
}

/** One sample of `operation` on `user` of `subject`'s store. */
export async function sampleOperation(
  subject: Subject,
  operation: Operation,
  user: number
): Promise<Sample> {
  const { app } = subject
  const id = userIdOf(user)
  const [list, revokeOne, revokeOthers, login] = OPERATIONS
  let measured: { body: string; sample: Sample }
  if (operation === login) {
    // A new browser logs in: the user has LIMIT sessions, so the oldest ends.
    measured = await timed(subject, async () => (await send(app, 'POST', `/login/${id}`)).body)
    expectBody(operation, measured.body, 'ok')
  } else {
    // The user's browser: a login, which ends the oldest seeded session (LIMIT again).
    const { cookie } = await send(app, 'POST', `/login/${id}`)
    if (operation === list) {
      measured = await timed(
        subject,
        async () => (await send(app, 'GET', '/sessions', cookie)).body
      )
      const listed = JSON.parse(measured.body) as unknown[]
      expectBody(operation, String(listed.length), String(LIMIT))
    } else if (operation === revokeOne) {
      const listed = JSON.parse((await send(app, 'GET', '/sessions', cookie)).body) as {
        handle: string
        current: boolean
      }[]
      const other = listed.find(({ current }) => !current)!
      const path = `/revoke/${other.handle}`
      measured = await timed(subject, async () => (await send(app, 'POST', path, cookie)).body)
      expectBody(operation, measured.body, 'true')
    } else if (operation === revokeOthers) {
      measured = await timed(
        subject,
        async () => (await send(app, 'POST', '/revoke-others', cookie)).body
      )
      expectBody(operation, measured.body, String(LIMIT - 1))
    } else {
      throw new Error(`no such operation: ${String(operation)}`)
    }
  }
  // What the request left: the limit held, the revocations ended what they said.
  const left = operation === revokeOne ? LIMIT - 1 : operation === revokeOthers ? 1 : LIMIT
  await restoreUser(subject, id, left)
  return measured.sample
}

/**
 * Puts `userId` back to their seeded sessions, after checking that the sample left `left` of
 * them: what it logged in is deleted, what it ended is written again (through the store, which
 * indexes it).
 */
async function restoreUser(subject: Subject, userId: string, left: number): Promise<void> {
  const { store } = subject.target
  const records = recordsOfUser(subject.population, userId)
  const seeded = new Set(records.map(({ key }) => key))
  const listed = await store.listOwner!(ownerKeyOf(userId))
  if (listed.length !== left) {
    throw new Error(`${userId} has ${listed.length} sessions after the sample, not ${left}`)
  }
  const present = new Set(listed.map(({ key }) => key))
  await Promise.all([
    ...listed.filter(({ key }) => !seeded.has(key)).map(({ key }) => store.delete(key)),
    ...records.filter(({ key }) => !present.has(key)).map((record) => store.save(record)),
  ])
}

/**
 * A returning visitor of the counter: a session made by a first visit, bound to a user (by
 * `session.bind`, no login: the same data as an unbound one) when `boundTo` is given.
 */
export async function returningVisitor(subject: Subject, boundTo?: string): Promise<string> {
  const { cookie } = await send(subject.app, 'GET', '/count')
  if (cookie === undefined) throw new Error('the first visit set no cookie')
  if (boundTo !== undefined) await send(subject.app, 'POST', `/bind/${boundTo}`, cookie)
  return cookie
}

/** One counter request of a returning visitor. */
export async function visit(subject: Subject, cookie: string): Promise<Sample> {
  const { body, sample } = await timed(
    subject,
    async () => (await send(subject.app, 'GET', '/count', cookie)).body
  )
  if (!/^\d+$/.test(body)) throw new Error(`the counter answered ${body}`)
  return sample
}

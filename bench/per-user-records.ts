import { createHash } from 'node:crypto'
import { MemoryStore, ownerKeyOf, type JsonObject, type SessionRecord } from 'typed-sessions'
import type { SessionStore } from 'typed-sessions'
import { RESERVED_DATA_KEY } from '../src/schema/define-session.js'
import { LIMIT, perUserBenchApp, send } from './per-user-app.js'

/*
 * The sessions bench/per-user.ts seeds: LIMIT logins per user, each the record a real login
 * writes (taken from one, on a MemoryStore) with its own key, user, owner and login time. The
 * seeders write them straight through the driver in the store's layout; `checkSeededLayout`
 * fails loudly when that layout is no longer the store's own.
 */

/** A store the benchmark seeds: the store (its calls counted) and its driver beneath it. */
export interface SeededStore {
  /** The store, through a driver wrapper that counts its round trips (commands, statements). */
  readonly store: SessionStore
  /** How many commands or statements the store has sent so far. */
  calls(): number
  /** Writes records straight through the driver, in the store's own layout, in bulk. */
  seed(records: readonly SessionRecord[]): Promise<void>
  /** Called once the bulk seeding is done (PostgreSQL: ANALYZE). */
  settle?(): Promise<void>
  /** What the server holds for these records (and their index entries), read raw. */
  raw(records: readonly SessionRecord[]): Promise<unknown>
  /** Removes everything the benchmark wrote (its prefix, its table). */
  drop(): Promise<void>
}

/** The seeded users of one store: `u0` … `u<users - 1>`, LIMIT sessions each. */
export interface Population {
  users: number
  /** The record of a real login, which every seeded record copies. */
  template: SessionRecord
  /** The moment of seeding: every seeded login is before it. */
  at: number
}

const MINUTE = 60_000

export const userIdOf = (user: number) => `u${user}`

/** A record key for a seeded session: a SHA-256 in base64url, as the engine's keys are. */
function keyOf(userId: string, index: number): string {
  return createHash('sha256').update(`per-user bench ${userId} ${index}`).digest('base64url')
}

/** The record of a real login through the benchmark's app, to copy. */
export async function loginTemplate(): Promise<SessionRecord> {
  const memory = new MemoryStore()
  await send(perUserBenchApp(memory), 'POST', '/login/template')
  const [record] = await memory.listOwner(ownerKeyOf('template'))
  if (record === undefined) throw new Error('the template login stored no bound record')
  return record
}

/**
 * The LIMIT seeded sessions of `userId`, oldest login first (index 0): the template's record
 * with the user's id and owner, and logins a minute apart before `at`.
 */
export function recordsOfUser(population: Population, userId: string): SessionRecord[] {
  const { template, at } = population
  const owner = ownerKeyOf(userId)
  const details = template.data[RESERVED_DATA_KEY] as JsonObject
  return Array.from({ length: LIMIT }, (_, index) => {
    const loginAt = at - (LIMIT - index) * MINUTE
    const data = {
      ...template.data,
      user: { id: userId },
      [RESERVED_DATA_KEY]: { ...details, loginAt, lastSeenAt: loginAt },
    }
    return { ...template, key: keyOf(userId, index), owner, createdAt: loginAt, data }
  })
}

/** Seeds every user of `population` into `target`, `batchUsers` users per bulk write. */
export async function seedPopulation(
  target: SeededStore,
  population: Population,
  batchUsers = 1000
): Promise<void> {
  for (let from = 0; from < population.users; from += batchUsers) {
    const to = Math.min(population.users, from + batchUsers)
    const batch: SessionRecord[] = []
    for (let user = from; user < to; user++) {
      batch.push(...recordsOfUser(population, userIdOf(user)))
    }
    await target.seed(batch)
  }
  await target.settle?.()
}

/** Records compared as stored: JSON, so an absent field and an undefined one are the same. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown

/** The first place where two JSON values differ, as a path and the two values there. */
function firstDifference(actual: unknown, expected: unknown, path = ''): string | undefined {
  if (
    typeof actual === 'object' &&
    actual !== null &&
    typeof expected === 'object' &&
    expected !== null
  ) {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)])
    for (const key of keys) {
      const found = firstDifference(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`
      )
      if (found !== undefined) return found
    }
    return undefined
  }
  if (actual === expected) return undefined
  const show = (value: unknown) => JSON.stringify(value)?.slice(0, 300)
  return `at ${path || 'the top'}: got ${show(actual)}, expected ${show(expected)}`
}

function expectEqual(what: string, actual: unknown, expected: unknown): void {
  const difference = firstDifference(plain(actual), plain(expected))
  if (difference === undefined) return
  throw new Error(
    `The seeded layout is no longer the store's own (${what}), ${difference}. Fix bench/per-user-seed-*.ts.`
  )
}

const sortedKeys = (records: readonly SessionRecord[]) => records.map(({ key }) => key).sort()

/**
 * Fails loudly unless seeding writes what the store writes: a user's sessions written through
 * the store (`create`) and the same written by the seeder are the same on the server (records,
 * index entries, expiry times); seeded sessions load and list through the store as generated;
 * and the store's own writes and deletes keep a seeded user's index whole.
 */
export async function checkSeededLayout(
  target: SeededStore,
  population: Population
): Promise<void> {
  const { store } = target
  const check = recordsOfUser(population, 'layout-check')
  const owner = check[0]!.owner!
  const none = await target.raw(check)
  for (const record of check) await store.create(record)
  const written = await target.raw(check)
  for (const record of check) await store.delete(record.key)
  expectEqual('deleted through the store', await store.listOwner!(owner), [])
  await target.seed(check)
  expectEqual('seeded vs written by the store, on the server', await target.raw(check), written)
  for (const record of check) await store.delete(record.key)
  expectEqual('seeded, then deleted through the store', await target.raw(check), none)

  const last = population.users - 1
  for (const user of [0, Math.floor(last / 2), last]) {
    const records = recordsOfUser(population, userIdOf(user))
    for (const record of records) {
      expectEqual(`load of ${userIdOf(user)}`, await store.load(record.key), record)
    }
    const listed = await store.listOwner!(records[0]!.owner!)
    expectEqual(`listOwner of ${userIdOf(user)}`, sortedKeys(listed), sortedKeys(records))
    for (const record of listed) {
      expectEqual(
        'a listed record',
        record,
        records.find(({ key }) => key === record.key)
      )
    }
  }
  // An upsert through the store of a seeded record keeps its index entry (no second one).
  const [first] = recordsOfUser(population, userIdOf(0)).slice(3)
  const before = await target.raw(recordsOfUser(population, userIdOf(0)))
  await store.save(first!)
  expectEqual('after an upsert', await target.raw(recordsOfUser(population, userIdOf(0))), before)
}

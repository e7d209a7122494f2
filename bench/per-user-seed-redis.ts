import { Redis } from 'ioredis'
import type { SessionRecord } from 'typed-sessions'
import { RedisStore, type IoRedisClient } from 'typed-sessions/redis'
import { entryKey, groupKey } from '../src/stores/redis-owner-keys.js'
import { encodeRecord } from '../src/stores/redis-record.js'
import type { SeededStore } from './per-user-records.js'

/*
 * RedisStore seeded in bulk for bench/per-user.ts, in the layout of its write script
 * (src/stores/redis-scripts.ts, WRITE on a single server): per record, its value (with its entry
 * number) and its owner's entry, both `PXAT` the record's expiry; per owner, its group's header
 * (`n`, the entry slots used), expiring with its longest-lived entry. Pipelined: about twenty
 * commands per user, no script. `checkSeededLayout` compares it with what the store writes.
 */

/** A database of its own: a million sessions in the shared one would slow every test's SCAN. */
const DATABASE = 13
const ROOT = 'bench:per-user:'
/** Users per pipeline. */
const PIPELINE = 1000

/** `PXAT` as the store writes it (RedisStore's own `pxat`). */
const pxat = (expiresAt: number) => String(Math.max(1, Math.ceil(expiresAt)))

/** The benchmark's Redis: database 13 of `url`'s server, keys under `bench:per-user:`. */
export async function connectRedisBench(url: string) {
  const redis = new Redis(`${url.replace(/\/\d*$/, '')}/${DATABASE}`, { maxRetriesPerRequest: 1 })
  await deleteUnder(redis, ROOT) // what a run that was killed left
  return {
    database: DATABASE,
    open: (label: string) => seededRedisStore(redis, `${ROOT}${label}:`),
    close: async () => {
      await deleteUnder(redis, ROOT)
      redis.disconnect()
    },
  }
}

function seededRedisStore(redis: Redis, prefix: string): SeededStore {
  let sent = 0
  const counting: IoRedisClient = {
    call: (command, ...args) => (sent++, redis.call(command, ...args)),
  }
  return {
    store: new RedisStore(counting, { prefix }),
    calls: () => sent,
    seed: (records) => seedRecords(redis, prefix, records),
    raw: (records) => rawRecords(redis, prefix, records),
    drop: () => deleteUnder(redis, prefix),
  }
}

/** The records of each owner, in order. Seeding assumes owners without entries yet. */
function byOwner(records: readonly SessionRecord[]): Map<string, SessionRecord[]> {
  const owners = new Map<string, SessionRecord[]>()
  for (const record of records) {
    const owner = record.owner
    if (owner === undefined) throw new Error('the benchmark seeds bound records only')
    const list = owners.get(owner) ?? []
    list.push(record)
    owners.set(owner, list)
  }
  return owners
}

/**
 * One owner's records and entries, and its group's header: a script per owner, so a pipeline
 * carries one command per user. KEYS: per record its key and its entry's key, then the group;
 * ARGV: per record its value, its record key and its PXAT, then the group's PXAT.
 */
const SEED_OWNER = `local records = (#KEYS - 1) / 2
for i = 1, records do
  redis.call('SET', KEYS[2 * i - 1], ARGV[3 * i - 2], 'PXAT', ARGV[3 * i])
  redis.call('SET', KEYS[2 * i], ARGV[3 * i - 1], 'PXAT', ARGV[3 * i])
end
redis.call('HSET', KEYS[#KEYS], 'n', records)
redis.call('PEXPIREAT', KEYS[#KEYS], ARGV[#ARGV])
return records`

async function seedRecords(
  redis: Redis,
  prefix: string,
  records: readonly SessionRecord[]
): Promise<void> {
  const sha = String(await redis.call('SCRIPT', 'LOAD', SEED_OWNER))
  let pipeline = redis.pipeline()
  let inFlight = Promise.resolve()
  for (const [owner, list] of byOwner(records)) {
    const group = groupKey(prefix, owner, '')
    const keys: string[] = []
    const args: string[] = []
    let longest = 0
    list.forEach((record, entry) => {
      const { head, tail } = encodeRecord(record)
      const at = pxat(record.expiresAt)
      keys.push(`${prefix}${record.key}`, entryKey(group, entry))
      args.push(`${head}${entry}${tail}`, record.key, at)
      longest = Math.max(longest, Number(at))
    })
    keys.push(group)
    args.push(String(longest))
    pipeline.call('EVALSHA', [sha, String(keys.length), ...keys, ...args])
    if (pipeline.length >= PIPELINE) {
      // One pipeline in flight while the next is built.
      await inFlight
      inFlight = execute(pipeline)
      pipeline = redis.pipeline()
    }
  }
  await inFlight
  await execute(pipeline)
}

async function execute(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error
}

/**
 * What the server holds for `records`: each value and its expiry time, and for each owner its
 * group's fields, every entry (record key, expiry time) and the group's expiry (that of its
 * longest-lived entry, give or take the millisecond a relative `PEXPIRE` may round by).
 */
async function rawRecords(redis: Redis, prefix: string, records: readonly SessionRecord[]) {
  const expiring = async (key: string) => ({
    key,
    value: await redis.get(key),
    expiresAt: await redis.pexpiretime(key),
  })
  const values = await Promise.all(records.map(({ key }) => expiring(`${prefix}${key}`)))
  const owners = await Promise.all(
    [...new Set(records.map(({ owner }) => owner!))].map(async (owner) => {
      const group = groupKey(prefix, owner, '')
      const fields = await redis.hgetall(group)
      const slots = Number(fields['n'] ?? 0)
      const entries = await Promise.all(
        Array.from({ length: slots }, (_, j) => expiring(entryKey(group, j)))
      )
      // The store's script gives the group its longest entry's PTTL, relative: a ms either way.
      const longest = Math.max(...entries.map(({ expiresAt }) => expiresAt))
      const expiresAt = await redis.pexpiretime(group)
      const withLongest = Math.abs(expiresAt - longest) <= 2
      return { group, fields, expiresAt: withLongest ? 'its longest entry' : expiresAt, entries }
    })
  )
  return { values, owners }
}

/** Deletes every key under `prefix` (no glob characters in it), thousands per round trip. */
async function deleteUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000)
    cursor = next
    if (keys.length > 0) await redis.unlink(...keys)
  } while (cursor !== '0')
}

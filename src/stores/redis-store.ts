import { SessionError, attemptStore } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'

/**
 * The part of an ioredis `Redis` or `Cluster` the store uses: raw commands through `call`.
 * Declared here rather than imported, so the store never loads the driver.
 */
export interface IoRedisClient {
  call(command: string, ...args: string[]): Promise<unknown>
  /** On an ioredis `Cluster`: its masters, which `scan` walks one after the other. */
  nodes?(role: 'master'): readonly IoRedisClient[]
}

/**
 * The part of a node-redis v5 client (`createClient()`) the store uses: raw commands through
 * `sendCommand`. For Redis Cluster, pass an ioredis `Cluster`.
 */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>
}

/** A client the application already has: ioredis (`Redis`, `Cluster`) or node-redis v5. */
export type RedisStoreClient = IoRedisClient | NodeRedisClient

/** Options of `RedisStore`. */
export interface RedisStoreOptions {
  /**
   * Prepended to every record key to form its Redis key; `scan` reads only keys with it. Use one
   * prefix per application sharing a database.
   * @default 'session:'
   */
  prefix?: string
}

/** One raw Redis command: its name and arguments, all strings, as both drivers accept them. */
type Send = (args: string[]) => Promise<unknown>

const DEFAULT_PREFIX = 'session:'

/*
 * Compare-and-set in one round trip, atomic because Redis runs a script alone. It touches only
 * KEYS[1], so it runs on Redis Cluster. The stored JSON starts with `version` and `expiresAt`
 * (see `encode`), so the script reads them with one anchored match instead of decoding a value
 * of up to megabytes with cjson on the server's single thread.
 * ARGV: expected version, now (ms), the new value, its PXAT.
 */
const COMPARE_AND_SET = `local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local version, expiresAt = string.match(current, '^{"version":([^,]+),"expiresAt":([^,]+),')
version, expiresAt = tonumber(version), tonumber(expiresAt)
if version == nil or expiresAt == nil then return 0 end
if version ~= tonumber(ARGV[1]) or expiresAt <= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PXAT', ARGV[4])
return 1`

let compareAndSetSha: Promise<string> | undefined

/** The SHA-1 that `EVALSHA` names the script by, computed once with Web Crypto. */
function scriptSha(): Promise<string> {
  compareAndSetSha ??= crypto.subtle
    .digest('SHA-1', new TextEncoder().encode(COMPARE_AND_SET))
    .then((digest) =>
      Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
    )
  return compareAndSetSha
}

/** Escapes the glob characters of Redis `MATCH` (`* ? [ ] \`), so a prefix matches literally. */
function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** `PXAT` takes a positive integer; a time in the past (but >= 1) makes Redis drop the key. */
function pxat(expiresAt: number): string {
  return String(Math.max(1, Math.ceil(expiresAt)))
}

/** The stored value: `version` and `expiresAt` first, at the position the script matches. */
function encode(record: SessionRecord): string {
  return JSON.stringify({
    version: record.version,
    expiresAt: record.expiresAt,
    key: record.key,
    createdAt: record.createdAt,
    schemaVersion: record.schemaVersion,
    expiry: record.expiry,
    data: record.data,
  })
}

function decode(value: unknown): SessionRecord {
  const text = typeof value === 'string' ? value : new TextDecoder().decode(value as Uint8Array)
  const stored = JSON.parse(text) as SessionRecord
  const record: SessionRecord = {
    key: stored.key,
    data: stored.data as JsonObject,
    createdAt: stored.createdAt,
    expiresAt: stored.expiresAt,
    version: stored.version,
    schemaVersion: stored.schemaVersion,
  }
  const expiry = parseExpiry(stored.expiry)
  if (expiry !== undefined) record.expiry = expiry
  return record
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/** How to send a raw command through the client, whichever driver it is. */
function senderOf(client: IoRedisClient | NodeRedisClient): Send {
  if (typeof (client as IoRedisClient).call === 'function') {
    const io = client as IoRedisClient
    return ([command = '', ...args]) => io.call(command, ...args)
  }
  if (typeof (client as NodeRedisClient).sendCommand === 'function') {
    const node = client as NodeRedisClient
    return (args) => node.sendCommand(args)
  }
  throw new SessionError(
    'CONFIG',
    'RedisStore takes an ioredis client (new Redis(url)) or a node-redis v5 client (createClient()), got neither.'
  )
}

/**
 * A session store in Redis, through the application's own ioredis or node-redis v5 client; it
 * never loads a driver itself. Each record is one string key `${prefix}${record.key}` holding the
 * record as JSON, with a native expiry at `expiresAt` (`PXAT`), so Redis reclaims expired
 * sessions itself and the store has no `deleteExpired`. `load` also checks `expiresAt`, so a
 * record is never loaded past it even if the Redis clock lags. Every command and script touches
 * a single key, so the store works on Redis Cluster (pass an ioredis `Cluster`).
 * @example
 * import { Redis } from 'ioredis'
 * const store = new RedisStore(new Redis(process.env.REDIS_URL!), { prefix: 'myapp:session:' })
 * app.use(sessionMiddleware(counterSession, { store, secret }))
 */
export class RedisStore implements SessionStore {
  readonly #send: Send
  readonly #scanTargets: () => readonly Send[]
  readonly #prefix: string

  constructor(client: RedisStoreClient, options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PREFIX
    if (typeof prefix !== 'string' || prefix === '') {
      throw new SessionError(
        'CONFIG',
        `RedisStore options.prefix takes a non-empty string, so scan reads only sessions; got ${JSON.stringify(prefix)}. Omit it for '${DEFAULT_PREFIX}'.`
      )
    }
    if (typeof client !== 'object' || client === null) {
      throw new SessionError(
        'CONFIG',
        'RedisStore takes an ioredis client (new Redis(url)) or a node-redis v5 client (createClient()).'
      )
    }
    this.#send = senderOf(client)
    const io = client as IoRedisClient
    // A cluster answers SCAN from one node only: walk every master.
    this.#scanTargets =
      typeof io.nodes === 'function'
        ? () => (io.nodes?.('master') ?? []).map(senderOf)
        : () => [this.#send]
    this.#prefix = prefix
  }

  /** The prefix of this store's Redis keys. */
  get prefix(): string {
    return this.#prefix
  }

  /**
   * Inserts the record unless a live one has its key: `SET NX PXAT`, one round trip. A record
   * already expired is accepted and gone at once.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const reply = await attemptStore('create', () =>
      this.#send([
        'SET',
        this.#key(record.key),
        encode(record),
        'NX',
        'PXAT',
        pxat(record.expiresAt),
      ])
    )
    return reply === 'OK'
  }

  /**
   * The record with this key, or `undefined` if missing or expired: one `GET`.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    return attemptStore('load', async () => {
      const value = await this.#send(['GET', this.#key(key)])
      if (value === null || value === undefined) return undefined
      const record = decode(value)
      return record.expiresAt > Date.now() ? record : undefined
    })
  }

  /**
   * Without `expectedVersion`, an upsert (`SET PXAT`). With it, a compare-and-set by a Lua script
   * (`EVALSHA`, and `EVAL` the first time a server lacks the script): one round trip, `false`
   * when the record is missing, expired or at another version. Either way the key's TTL moves
   * to the record's `expiresAt`.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const key = this.#key(record.key)
    const value = encode(record)
    if (expectedVersion === undefined) {
      await attemptStore('save', () =>
        this.#send(['SET', key, value, 'PXAT', pxat(record.expiresAt)])
      )
      return true
    }
    const args = [String(expectedVersion), String(Date.now()), value, pxat(record.expiresAt)]
    const reply = await attemptStore('save', async () => {
      const sha = await scriptSha()
      try {
        return await this.#send(['EVALSHA', sha, '1', key, ...args])
      } catch (error) {
        if (!isNoScript(error)) throw error
        return this.#send(['EVAL', COMPARE_AND_SET, '1', key, ...args])
      }
    })
    return Number(reply) === 1
  }

  /**
   * Deletes the record with this key (`DEL`); a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', () => this.#send(['DEL', this.#key(key)]))
  }

  /**
   * Every live record with this store's prefix, each once. One `SCAN ... MATCH prefix* COUNT
   * batchSize` per batch, then one `GET` per key, pipelined (not `MGET`, which Redis Cluster
   * refuses across slots). SCAN may return a key twice, so the keys seen are remembered for the
   * whole scan: memory grows with the number of sessions. A record deleted or expired before its
   * batch is read is skipped; one created during the scan may or may not be yielded.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    const pattern = `${escapeRedisGlob(this.#prefix)}*`
    const seen = new Set<string>()
    const targets = await attemptStore('scan', async () => this.#scanTargets())
    for (const scanNode of targets) {
      let cursor = '0'
      do {
        const batch = await attemptStore('scan', async () => {
          const reply = (await scanNode([
            'SCAN',
            cursor,
            'MATCH',
            pattern,
            'COUNT',
            String(batchSize),
          ])) as [unknown, unknown[]]
          cursor = String(reply[0])
          const keys = reply[1].map(String).filter((key) => !seen.has(key))
          for (const key of keys) seen.add(key)
          const values = await Promise.all(keys.map((key) => this.#send(['GET', key])))
          const now = Date.now()
          return values.flatMap((value) => {
            if (value === null || value === undefined) return []
            const record = decode(value)
            return record.expiresAt > now ? [record] : []
          })
        })
        yield* batch
      } while (cursor !== '0')
    }
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`
  }
}

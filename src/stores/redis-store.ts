import { SessionError, attemptStore, unstorableValue } from '../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { COMPARE_AND_SET, decodeRecordValue, encodeRecord, scriptSha } from './redis-record.js'
import { decodableRecords } from './stored-record.js'

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

/** Escapes the glob characters of Redis `MATCH` (`* ? [ ] \`), so a prefix matches literally. */
function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** `PXAT` takes a positive integer; a time in the past (but >= 1) makes Redis drop the key. */
function pxat(expiresAt: number): string {
  return String(Math.max(1, Math.ceil(expiresAt)))
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/**
 * Whether a command failed because its connection died under it (killed, reset by a proxy or a
 * failover): node-redis rejects the commands in flight, and a command sent before it noticed
 * the closed socket, then reconnects. ioredis resends such commands by itself.
 */
function isDeadConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  return error.message === 'Socket closed unexpectedly' || code === 'ECONNRESET' || code === 'EPIPE'
}

/*
 * Every command the store sends is idempotent or safe to repeat, so one that failed on a dead
 * connection is sent once more: GET, DEL and a plain SET repeat harmlessly; a repeated SET NX or
 * compare-and-set whose first attempt had committed answers false, and the engine recognizes
 * its own write by the record's token.
 */
function retryingOnce(send: Send): Send {
  return async (args) => {
    try {
      return await send(args)
    } catch (error) {
      if (!isDeadConnection(error)) throw error
      return send(args)
    }
  }
}

/**
 * Runs a write, classifying the one refusal retrying cannot cure: a value longer than the
 * server's `proto-max-bulk-len` (512 MB by default) gets "ERR Protocol error: invalid bulk
 * length", after which Redis closes the connection.
 */
async function attemptWrite<T>(operation: string, write: () => Promise<T>): Promise<T> {
  return attemptStore(operation, async () => {
    try {
      return await write()
    } catch (error) {
      if (error instanceof Error && error.message.includes('Protocol error: invalid bulk length')) {
        throw unstorableValue(
          "the record is longer than the Redis server's proto-max-bulk-len; store less in the session, or raise proto-max-bulk-len.",
          error
        )
      }
      throw error
    }
  })
}

/** How to send a raw command through the client, whichever driver it is. */
function senderOf(client: IoRedisClient | NodeRedisClient): Send {
  if (typeof (client as IoRedisClient).call === 'function') {
    const io = client as IoRedisClient
    return retryingOnce(([command = '', ...args]) => io.call(command, ...args))
  }
  if (typeof (client as NodeRedisClient).sendCommand === 'function') {
    const node = client as NodeRedisClient
    return retryingOnce((args) => node.sendCommand(args))
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
  readonly #scanTargets: () => Promise<readonly Send[]>
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
    // A cluster answers SCAN from one node only: walk every master. A Cluster that is still
    // connecting knows none yet: a first command waits (in its offline queue) until it is ready.
    this.#scanTargets =
      typeof io.nodes === 'function'
        ? async () => {
            if ((io.nodes?.('master') ?? []).length === 0) await this.#send(['PING'])
            const masters = io.nodes?.('master') ?? []
            if (masters.length === 0) throw new Error('the Redis Cluster client knows no masters')
            return masters.map(senderOf)
          }
        : async () => [this.#send]
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
    const reply = await attemptWrite('create', () =>
      this.#send([
        'SET',
        this.#key(record.key),
        encodeRecord(record),
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
      const record = decodeRecordValue(key, value)
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
    const value = encodeRecord(record)
    if (expectedVersion === undefined) {
      await attemptWrite('save', () =>
        this.#send(['SET', key, value, 'PXAT', pxat(record.expiresAt)])
      )
      return true
    }
    const args = [String(expectedVersion), String(Date.now()), value, pxat(record.expiresAt)]
    const reply = await attemptWrite('save', async () => {
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
    const targets = await attemptStore('scan', () => this.#scanTargets())
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
          const stored = keys.flatMap((key, i) => {
            const value = values[i]
            return value === null || value === undefined ? [] : [{ key, value }]
          })
          // A value that cannot be decoded is skipped: its session reads as invalid on load.
          return decodableRecords(stored, ({ key, value }) =>
            decodeRecordValue(key.slice(this.#prefix.length), value)
          ).filter((record) => record.expiresAt > now)
        })
        yield* batch
      } while (cursor !== '0')
    }
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`
  }
}

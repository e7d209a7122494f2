import { SessionError, attemptStore } from '../core/errors.js'
import { isOwnerKey } from '../core/owner.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import {
  attemptWrite,
  runScript,
  senderOf,
  type IoRedisClient,
  type RedisStoreClient,
  type Send,
} from './redis-client.js'
import { RedisOwnerIndex } from './redis-owner-index.js'
import { checkClusterPrefix, groupHead, groupKey, isOwnerIndexKey } from './redis-owner-keys.js'
import { decodeRecordValue, encodeRecord, type EncodedRecord } from './redis-record.js'
import { DELETE, WRITE } from './redis-scripts.js'
import { decodableRecords } from './stored-record.js'

export type { IoRedisClient, NodeRedisClient, RedisStoreClient } from './redis-client.js'

/** Options of `RedisStore`. */
export interface RedisStoreOptions {
  /**
   * Prepended to every record key to form its Redis key; `scan` reads only keys with it. The
   * owner index lives under it too (`<prefix>owner:…`). Use one prefix per application sharing
   * a database.
   * @default 'session:'
   */
  prefix?: string
}

const DEFAULT_PREFIX = 'session:'

/** Escapes the glob characters of Redis `MATCH` (`* ? [ ] \`), so a prefix matches literally. */
function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** `PXAT` takes a positive integer; a time in the past (but >= 1) makes Redis drop the key. */
function pxat(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt))
}

/**
 * A session store in Redis, through the application's own ioredis or node-redis v5 client; it
 * never loads a driver itself. Each record is one string key `${prefix}${record.key}` holding the
 * record as JSON, with a native expiry at `expiresAt` (`PXAT`), so Redis reclaims expired
 * sessions itself and the store has no `deleteExpired`. `load` also checks `expiresAt`, so a
 * record is never loaded past it even if the Redis clock lags. A bound record's owner index
 * entry (`listOwner`) is written by the same script as the record, with the record's expiry.
 * On Redis Cluster (pass an ioredis `Cluster`) every script touches keys of one slot only.
 * @example
 * import { Redis } from 'ioredis'
 * const store = new RedisStore(new Redis(process.env.REDIS_URL!), { prefix: 'myapp:session:' })
 * app.use(sessionMiddleware(counterSession, { store, secret }))
 */
export class RedisStore implements SessionStore {
  readonly #send: Send
  readonly #scanTargets: () => Promise<readonly Send[]>
  readonly #prefix: string
  readonly #owners: RedisOwnerIndex

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
    const cluster = typeof io.nodes === 'function'
    if (cluster) checkClusterPrefix(prefix)
    // A cluster answers SCAN from one node only: walk every master. A Cluster that is still
    // connecting knows none yet: a first command waits (in its offline queue) until it is ready.
    this.#scanTargets = cluster
      ? async () => {
          if ((io.nodes?.('master') ?? []).length === 0) await this.#send(['PING'])
          const masters = io.nodes?.('master') ?? []
          if (masters.length === 0) throw new Error('the Redis Cluster client knows no masters')
          return masters.map(senderOf)
        }
      : async () => [this.#send]
    this.#prefix = prefix
    this.#owners = new RedisOwnerIndex(this.#send, prefix, cluster)
  }

  /** The prefix of this store's Redis keys. */
  get prefix(): string {
    return this.#prefix
  }

  /**
   * Inserts the record unless a live one has its key: `SET NX PXAT`, one round trip (a bound
   * record: the write script, which indexes it; two on a cluster, which first registers the
   * record's slot in the owner's directory). A record already expired is accepted and gone.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    const encoded = encodeRecord(record)
    if (record.owner === undefined) {
      const reply = await attemptWrite('create', () =>
        this.#send([
          'SET',
          this.#key(record.key),
          encoded.head,
          'NX',
          'PXAT',
          String(pxat(record.expiresAt)),
        ])
      )
      return reply === 'OK'
    }
    return this.#write('create', record, encoded, undefined)
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
   * One Lua script (`EVALSHA`, and `EVAL` the first time a server lacks it), one round trip:
   * without `expectedVersion` an upsert, with it a compare-and-set, `false` when the record is
   * missing, expired or at another version. The key's TTL moves to the record's `expiresAt`,
   * and its owner index entry moves with the record's owner and expiry. On a cluster, a save
   * that binds a record, or takes its expiry past what the owner's directory covers (a day of
   * use at least), first registers the record's slot there: two more round trips.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    const encoded = encodeRecord(record)
    return this.#write(
      expectedVersion === undefined ? 'upsert' : 'cas',
      record,
      encoded,
      expectedVersion
    )
  }

  /**
   * Deletes the record with this key and its owner index entry (one script); a missing key is
   * not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    const suffix = this.#owners.suffixOf(key)
    await attemptStore('delete', () =>
      runScript(this.#send, DELETE, [this.#key(key)], [groupHead(this.#prefix), suffix, key])
    )
  }

  /**
   * The live records bound to `owner`, read from its index and checked against each record in
   * the same script: one round trip on a single server. On Redis Cluster, one read of the
   * owner's directory, then one script per slot the owner has records in, all at once.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    if (!isOwnerKey(owner)) return []
    return attemptStore('listOwner', () => this.#owners.list(owner))
  }

  /**
   * Every live record with this store's prefix, each once. One `SCAN ... MATCH prefix* COUNT
   * batchSize` per batch, then one `GET` per key, pipelined (not `MGET`, which Redis Cluster
   * refuses across slots); the owner index's keys are skipped. SCAN may return a key twice, so
   * the keys seen are remembered for the whole scan: memory grows with the number of sessions.
   * A record deleted or expired before its batch is read is skipped; one created during the
   * scan may or may not be yielded.
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
          const keys = reply[1]
            .map(String)
            .filter((key) => !seen.has(key) && !isOwnerIndexKey(this.#prefix, key))
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

  /**
   * The write script for `create` (bound records), `cas` and `upsert`. On a cluster, a record
   * bound beyond what the owner's directory covers is refused by the script (2) until the store
   * has registered its slot there; then it is written, naming the horizon just registered.
   */
  async #write(
    mode: 'create' | 'cas' | 'upsert',
    record: SessionRecord,
    encoded: EncodedRecord,
    expectedVersion: number | undefined
  ): Promise<boolean> {
    const operation = mode === 'create' ? 'create' : 'save'
    const key = this.#key(record.key)
    const suffix = this.#owners.suffixOf(record.key)
    const owner = record.owner ?? ''
    const group = groupKey(this.#prefix, owner, suffix)
    const at = pxat(record.expiresAt)
    const attempt = (registered: string) =>
      attemptWrite(operation, () =>
        runScript(this.#send, WRITE, owner === '' ? [key] : [key, group], [
          groupHead(this.#prefix),
          suffix,
          mode,
          String(expectedVersion ?? ''),
          String(Date.now()),
          String(at),
          record.key,
          encoded.head,
          encoded.tail,
          owner,
          registered,
        ])
      )
    if (!this.#owners.cluster) return Number(await attempt('none')) === 1
    // A login's create is bound from the start: register first rather than be refused.
    let reply = mode === 'create' ? 2 : Number(await attempt('0'))
    if (reply === 2) {
      reply = Number(await attempt(await this.#owners.register(owner, suffix, at, operation)))
    }
    return reply === 1
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`
  }
}

import { attemptStore } from '../core/errors.js'
import type { SessionRecord } from '../core/store.js'
import { runScript, type Send } from './redis-client.js'
import {
  clusterSlot,
  directoryKey,
  groupKey,
  groupSuffixOfTag,
  slotTag,
} from './redis-owner-keys.js'
import { decodeRecordValue } from './redis-record.js'
import { LIST_GROUP, REGISTER } from './redis-scripts.js'
import { decodableRecords } from './stored-record.js'

const DAY = 86_400_000

/**
 * How far a cluster's directory entry reaches: past the record's expiry by as long again, and
 * by a day at least, so that a rolling session registers again at most once a day of use.
 */
function horizonOf(expiresAt: number, now: number): number {
  return expiresAt + Math.max(expiresAt - now, DAY)
}

/**
 * RedisStore's owner index beyond the write scripts: which group a record's entry goes in, the
 * directory of an owner's groups on Redis Cluster, and the listing (see redis-owner-keys.ts).
 */
export class RedisOwnerIndex {
  readonly #send: Send
  readonly #prefix: string
  /** On Redis Cluster: an owner has a group per slot, found through its directory. */
  readonly cluster: boolean

  constructor(send: Send, prefix: string, cluster: boolean) {
    this.#send = send
    this.#prefix = prefix
    this.cluster = cluster
  }

  /** The suffix of the groups a record's entry goes in: its slot's tag on a cluster, else ''. */
  suffixOf(recordKey: string): string {
    return this.cluster ? groupSuffixOfTag(slotTag(clusterSlot(`${this.#prefix}${recordKey}`))) : ''
  }

  /**
   * Records in an owner's directory that its group of `suffix` may hold records until past
   * `expiresAt` (Redis Cluster); the horizon it registered, which the write script then trusts.
   */
  async register(
    owner: string,
    suffix: string,
    expiresAt: number,
    operation: string
  ): Promise<string> {
    const now = Date.now()
    const horizon = String(horizonOf(expiresAt, now))
    const tag = suffix.slice(2, -1)
    const directory = directoryKey(this.#prefix, owner)
    await attemptStore(operation, () =>
      runScript(this.#send, REGISTER, [directory], [tag, horizon, String(now)])
    )
    return horizon
  }

  /**
   * The live records bound to `owner`: one script per group, each checking every entry against
   * its record. A single server has one group; a cluster's are those of the owner's directory
   * whose horizon has not passed, read first, then listed all at once.
   */
  async list(owner: string): Promise<SessionRecord[]> {
    const now = Date.now()
    const suffixes = this.cluster ? (await this.#directory(owner, now)).map(groupSuffixOfTag) : ['']
    const replies = await Promise.all(
      suffixes.map((suffix) =>
        runScript(
          this.#send,
          LIST_GROUP,
          [groupKey(this.#prefix, owner, suffix)],
          [this.#prefix, owner, String(now)]
        )
      )
    )
    const stored = replies.flatMap((reply) => {
      const items = reply as unknown[]
      return Array.from({ length: items.length / 2 }, (_, i) => ({
        key: String(items[2 * i]),
        value: items[2 * i + 1],
      }))
    })
    // A value that cannot be decoded is skipped, as scan skips it: it reads as invalid on load.
    const records = decodableRecords(stored, ({ key, value }) => decodeRecordValue(key, value))
    const later = Date.now()
    return records.filter((record) => record.expiresAt > later)
  }

  /** The slot tags of an owner's groups whose horizon has not passed (Redis Cluster). */
  async #directory(owner: string, now: number): Promise<string[]> {
    const directory = directoryKey(this.#prefix, owner)
    const reply = await this.#send(['ZRANGEBYSCORE', directory, `(${now}`, '+inf'])
    return (reply as unknown[]).map(String)
  }
}

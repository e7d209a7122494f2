import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SessionError, attemptStore } from '../core/errors.js'
import { DEFAULT_MAX_SIZE } from '../core/session.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../core/store.js'
import { ATTRIBUTES, itemOf, recordOf, type DynamoDbItem } from './dynamodb-item.js'
import { listOwnerRecords } from './dynamodb-owner-list.js'
import { bindingWrite, leaveOwner } from './dynamodb-owners.js'
import {
  createSessionTable,
  isMissingTable,
  missingTableError,
  type DynamoDbCreateTableOptions,
} from './dynamodb-table.js'
import {
  deleteRecord,
  getItem,
  namesOf,
  putRecord,
  updateRecord,
  type Condition,
  type DynamoDbTable,
} from './dynamodb-write.js'
import { ifCorrupt } from './stored-record.js'

export type { DynamoDbCreateTableOptions } from './dynamodb-table.js'

/** Options of `DynamoDbStore`. */
export interface DynamoDbStoreOptions {
  /** The table holding the sessions; its partition key is the string attribute `key`. */
  tableName: string
  /**
   * The attribute DynamoDB's TTL is enabled on: `expiresAt` in epoch seconds.
   * @default 'ttl'
   */
  ttlAttribute?: string
  /**
   * The most bytes of JSON one session's data may take: compressed data is inflated up to this
   * and no further (a stored value that inflates past it is invalid stored data, handled by
   * `onInvalid`), and data over it is refused at save (`INVALID_VALUE`). It is the store's
   * `maxRecordSize`, so the middleware's `maxSize` defaults to it; raise both together.
   * @default 1048576 (1 MiB, the middleware's default maxSize)
   */
  maxSize?: number
}

const DEFAULT_TTL_ATTRIBUTE = 'ttl'

/**
 * A session store in DynamoDB, through the application's own `DynamoDBClient` (AWS SDK v3). One
 * item per record, partition key `key`. Compare-and-set is an `UpdateItem` whose
 * `ConditionExpression` checks the stored version, so it holds across processes and hosts;
 * reads are strongly consistent (`ConsistentRead`). The sessions bound to a user (`listOwner`)
 * are indexed in one item per user in the same table, `owner#<owner key>`, written before a
 * record is bound and read strongly consistently (see `dynamodb-owners.ts`). Expired items are deleted by DynamoDB's own
 * TTL on `ttlAttribute`, which lags (AWS allows itself days): `load` and `scan` check
 * `expiresAt` themselves, so the store has no `deleteExpired`. Data over 4 KB of JSON is stored
 * gzip-compressed, and inflated only up to `maxSize`; an item still over DynamoDB's 400 KB limit
 * is refused with `INVALID_VALUE`.
 * @example
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
 * const store = new DynamoDbStore(new DynamoDBClient({}), { tableName: 'sessions' })
 * app.use(sessionMiddleware(counterSession, { store, secret }))
 */
export class DynamoDbStore implements SessionStore {
  readonly #client: DynamoDBClient
  readonly #table: string
  readonly #ttlAttribute: string
  readonly #requests: DynamoDbTable
  /** The most bytes of JSON a session's data may take here (`options.maxSize`). */
  readonly maxRecordSize: number

  constructor(client: DynamoDBClient, options: DynamoDbStoreOptions) {
    if (typeof client !== 'object' || client === null || typeof client.send !== 'function') {
      throw new SessionError(
        'CONFIG',
        'DynamoDbStore takes a DynamoDBClient from @aws-sdk/client-dynamodb (new DynamoDBClient({})).'
      )
    }
    const {
      tableName,
      ttlAttribute = DEFAULT_TTL_ATTRIBUTE,
      maxSize = DEFAULT_MAX_SIZE,
    } = options ?? {}
    if (typeof tableName !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
      throw new SessionError(
        'CONFIG',
        `DynamoDbStore options.tableName takes a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), got ${JSON.stringify(tableName)}.`
      )
    }
    if (
      typeof ttlAttribute !== 'string' ||
      (Object.values(ATTRIBUTES) as string[]).includes(ttlAttribute) ||
      ttlAttribute === ''
    ) {
      throw new SessionError(
        'CONFIG',
        `DynamoDbStore options.ttlAttribute takes a name the record does not use already, got ${JSON.stringify(ttlAttribute)}. Omit it for '${DEFAULT_TTL_ATTRIBUTE}'.`
      )
    }
    if (!Number.isSafeInteger(maxSize) || maxSize < 1) {
      throw new SessionError(
        'CONFIG',
        `DynamoDbStore options.maxSize takes a whole number of bytes >= 1, got ${JSON.stringify(maxSize)}. Omit it for ${DEFAULT_MAX_SIZE} (1 MiB).`
      )
    }
    this.#client = client
    this.#table = tableName
    this.#ttlAttribute = ttlAttribute
    this.maxRecordSize = maxSize
    this.#requests = {
      client,
      name: tableName,
      attempt: (operation, run) => this.#attempt(operation, run),
    }
  }

  /**
   * Creates the table if absent (on-demand billing, partition key `key`), waits until it is
   * active, and enables TTL on `ttlAttribute`. Meant for development and tests; in production
   * declare the same table in your infrastructure code.
   * @example await new DynamoDbStore(client, { tableName: 'sessions' }).createTable()
   */
  async createTable(options: DynamoDbCreateTableOptions = {}): Promise<void> {
    await createSessionTable(this.#client, this.#table, this.#ttlAttribute, options)
  }

  /**
   * Inserts the record unless a live one has its key: one conditional `PutItem` (a bound record
   * adds its owner entry first: one `UpdateItem` more).
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    return bindingWrite(this.#requests, record, undefined, this.#itemOf(record), (item) =>
      putRecord(this.#requests, 'create', item, {
        expression: 'attribute_not_exists(#key) OR #expiresAt <= :now',
      })
    )
  }

  /**
   * The record with this key, or `undefined` if missing or expired: one strongly consistent
   * `GetItem`. An item it cannot decode throws `INVALID_STORED_DATA`.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    const item = await getItem(this.#requests, 'load', key)
    if (item === undefined) return undefined
    const record = await recordOf(key, item, this.maxRecordSize)
    return record.expiresAt > Date.now() ? record : undefined
  }

  /**
   * Without `expectedVersion`, an unconditional `PutItem`. With it, an `UpdateItem` conditioned
   * on the stored version and expiry (and owner): `false` when the item is missing, expired or
   * at another version. One round trip, unless the save binds the record to another owner.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    if (expectedVersion === undefined) {
      return bindingWrite(this.#requests, record, undefined, this.#itemOf(record), (item) =>
        putRecord(this.#requests, 'save', item)
      )
    }
    const live: Condition = {
      expression: '#version = :expected AND #expiresAt > :now',
      values: { ':expected': { N: String(expectedVersion) } },
    }
    const owner = record.owner
    if (owner === undefined) {
      const item = await itemOf(record, this.#ttlAttribute, this.maxRecordSize)
      const { written, old } = await updateRecord(this.#requests, item, live, { returnOld: true })
      if (written) await leaveOwner(this.#requests, record.key, old)
      return written
    }
    // A returning visitor keeps its owner: its entry stands, and one UpdateItem does.
    const item = await itemOf(record, this.#ttlAttribute, this.maxRecordSize)
    const kept = await updateRecord(
      this.#requests,
      item,
      {
        expression: `${live.expression} AND #owner = :owner`,
        values: { ...live.values, ':owner': { S: owner } },
      },
      { keep: [ATTRIBUTES.ownerNonce] }
    )
    if (kept.written) return true
    const stored = await getItem(this.#requests, 'save', record.key, [
      ATTRIBUTES.version,
      ATTRIBUTES.expiresAt,
    ])
    const sameVersion = stored?.[ATTRIBUTES.version]?.N === String(expectedVersion)
    if (!sameVersion || Number(stored?.[ATTRIBUTES.expiresAt]?.N) <= Date.now()) return false
    // The stored record has another owner or none: this save binds it.
    return bindingWrite(this.#requests, record, expectedVersion, this.#itemOf(record), (bound) =>
      updateRecord(this.#requests, bound, live, { returnOld: true })
    )
  }

  /**
   * Deletes the item with this key (`DeleteItem`); a missing key is not an error. A bound
   * record's owner entry goes after it (one `UpdateItem` more).
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await leaveOwner(this.#requests, key, await deleteRecord(this.#requests, key))
  }

  /**
   * The live records bound to `owner`: one strongly consistent `GetItem` of the owner's item
   * (its entries), then strongly consistent `BatchGetItem`s of those records, 100 a request.
   * Entries of records that are gone (DynamoDB's TTL deleted them) are removed on the way.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    return listOwnerRecords(this.#requests, owner, (key, item) =>
      recordOf(key, item, this.maxRecordSize)
    )
  }

  /**
   * Every live record of the table, each once: strongly consistent `Scan` pages of `batchSize`
   * items, following `LastEvaluatedKey`. Items it cannot decode are skipped.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    let startKey: DynamoDbItem | undefined
    do {
      const page = await this.#attempt('scan', () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#table,
            Limit: batchSize,
            ConsistentRead: true,
            FilterExpression: '#expiresAt > :now',
            ExpressionAttributeNames: namesOf('#expiresAt'),
            ExpressionAttributeValues: { ':now': { N: String(Date.now()) } },
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          })
        )
      )
      startKey = page.LastEvaluatedKey
      for (const item of page.Items ?? []) {
        const key = item[ATTRIBUTES.key]?.S
        const record =
          key === undefined
            ? undefined
            : await recordOf(key, item, this.maxRecordSize).catch(ifCorrupt(undefined))
        if (record !== undefined) yield record
      }
    } while (startKey !== undefined)
  }

  /** `attemptStore`, with a missing table as `CONFIG`: a setup step not done, not an outage. */
  #attempt<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return attemptStore(operation, () =>
      run().catch((error: unknown) => {
        throw isMissingTable(error)
          ? missingTableError(this.#table, this.#ttlAttribute, error)
          : error
      })
    )
  }

  /** The item of `record`, written under the nonce of the write that binds it. */
  #itemOf(record: SessionRecord) {
    return (nonce: string | undefined) =>
      itemOf(record, this.#ttlAttribute, this.maxRecordSize, nonce)
  }
}

import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { toBase64url } from '../core/base64url.js'
import { isSessionError, unstorableValue } from '../core/errors.js'
import type { SessionRecord } from '../core/store.js'
import { ATTRIBUTES, type DynamoDbItem } from './dynamodb-item.js'
import { isItemTooLarge, type DynamoDbTable, type Written } from './dynamodb-write.js'

/*
 * DynamoDbStore's owner index (sessions per user, DESIGN.md §12), kept with single-item writes:
 * a global secondary index is eventually consistent (a session bound a moment ago could be
 * missing from a listing, so a limit or a "log out everywhere" would miss it), and a
 * TransactWriteItems is not something the emulator the store is tested on (dynalite) knows.
 *
 * Each owner has one item, `owner#<owner key>`, with an entry `session:<record key>` per
 * session bound to it: a superset of the owner's live records, read with one strongly
 * consistent GetItem, then the records themselves with strongly consistent BatchGetItems, which
 * decide what is listed (live, and bound to this owner now). A write that binds a record adds
 * its entry first and writes the record second, so no completed binding is ever missing from
 * the superset; a write that unbinds, re-binds or deletes a record removes the old owner's
 * entry after it. An entry is only ever removed conditionally on the nonce of the write that
 * added it, which the record carries (`ownerNonce`): a write binding the record again adds a new
 * nonce first, so a removal racing it leaves it alone. An entry whose record is gone or no longer
 * bound (DynamoDB's TTL deleted it, a cleanup failed) is removed by the next listing, once the
 * write that added it can no longer bind the record: its record would be expired by now, or the
 * record has left the version that write's compare-and-set expects.
 */

/** The item holding the entries of `owner` (no record key holds a `#`). */
export const ownerItemKey = (owner: string): string => `owner#${owner}`

/** The attribute of a record's entry in its owner's item: `session:<record key>`. */
export const OWNER_ENTRY_PREFIX = 'session:'

/** Counts every change of an owner item's entries, so an empty item is deleted only if still empty. */
const REVISION = 'revision'

/** What an entry records of the write that added it. */
export interface OwnerEntry {
  /** The write's nonce, which it also writes into the record's `ownerNonce`. */
  nonce: string
  /** The `expiresAt` that write gives the record: past it, the write leaves no live record. */
  expiresAt: number
  /** The version a compare-and-set expects; absent for a create or an upsert. */
  expectedVersion?: number | undefined
}

/** A fresh nonce for a write that binds a record: 96 random bits. */
export const ownerNonce = (): string => toBase64url(crypto.getRandomValues(new Uint8Array(12)))

const ownerKey = (owner: string) => ({ [ATTRIBUTES.key]: { S: ownerItemKey(owner) } })

/** Adds the entry of `key` to the owner's item (creating the item), before the record is bound. */
export async function addEntry(
  table: DynamoDbTable,
  owner: string,
  key: string,
  entry: OwnerEntry
): Promise<void> {
  const value: DynamoDbItem = {
    n: { S: entry.nonce },
    x: { N: String(entry.expiresAt) },
    ...(entry.expectedVersion === undefined ? {} : { e: { N: String(entry.expectedVersion) } }),
  }
  await table.attempt('save', async () => {
    try {
      await table.client.send(
        new UpdateItemCommand({
          TableName: table.name,
          Key: ownerKey(owner),
          UpdateExpression: 'SET #entry = :entry ADD #revision :one',
          ExpressionAttributeNames: { '#entry': OWNER_ENTRY_PREFIX + key, '#revision': REVISION },
          ExpressionAttributeValues: { ':entry': { M: value }, ':one': { N: '1' } },
        })
      )
    } catch (error) {
      if (!isItemTooLarge(error)) throw error
      throw unstorableValue(
        "DynamoDbStore keeps the sessions of one user in one item of at most 400 KB (about 4,000 sessions); end some of this user's sessions, or limit them (sessionsPerUser.limit).",
        error
      )
    }
  })
}

/**
 * Removes the entry of `key` from the owner's item if it is still the one the write with
 * `nonce` added, and deletes the item once it holds no entry. Never throws: what it leaves is
 * an entry the next listing removes, and the write it cleans up after has already happened.
 */
export async function removeEntry(
  table: DynamoDbTable,
  owner: string,
  key: string,
  nonce: string
): Promise<void> {
  try {
    const { Attributes: left = {} } = await table.client.send(
      new UpdateItemCommand({
        TableName: table.name,
        Key: ownerKey(owner),
        UpdateExpression: 'REMOVE #entry ADD #revision :one',
        ConditionExpression: '#entry.#nonce = :nonce',
        ExpressionAttributeNames: {
          '#entry': OWNER_ENTRY_PREFIX + key,
          '#nonce': 'n',
          '#revision': REVISION,
        },
        ExpressionAttributeValues: { ':nonce': { S: nonce }, ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      })
    )
    const revision = left[REVISION]?.N
    if (revision === undefined || Object.keys(left).some((name) => isEntry(name))) return
    await table.client.send(
      new DeleteItemCommand({
        TableName: table.name,
        Key: ownerKey(owner),
        ConditionExpression: '#revision = :revision',
        ExpressionAttributeNames: { '#revision': REVISION },
        ExpressionAttributeValues: { ':revision': { N: revision } },
      })
    )
  } catch {
    // A failed condition (another write's entry now) or a failed request: nothing to undo.
  }
}

/** Whether an attribute of an owner item is an entry. */
export const isEntry = (name: string): boolean => name.startsWith(OWNER_ENTRY_PREFIX)

/**
 * A write of `record` by `write` that may bind it: a bound record's owner entry is added first,
 * under a fresh nonce that `itemOf` puts into the item, so a listing never misses a completed
 * binding; the entry goes again if the write's condition fails. Then the entry of the owner the
 * replaced item had goes, if it had another. `expectedVersion` is that of a compare-and-set.
 */
export async function bindingWrite(
  table: DynamoDbTable,
  record: SessionRecord,
  expectedVersion: number | undefined,
  itemOf: (nonce: string | undefined) => Promise<DynamoDbItem>,
  write: (item: DynamoDbItem) => Promise<Written>
): Promise<boolean> {
  const owner = record.owner
  const nonce = owner === undefined ? undefined : ownerNonce()
  const item = await itemOf(nonce)
  const forget = () =>
    owner === undefined || nonce === undefined
      ? undefined
      : removeEntry(table, owner, record.key, nonce)
  if (owner !== undefined && nonce !== undefined) {
    await addEntry(table, owner, record.key, {
      nonce,
      expiresAt: record.expiresAt,
      expectedVersion,
    })
  }
  let written: Written
  try {
    written = await write(item)
  } catch (error) {
    // Refused, so never written; after any other failure it may be, and its entry stays.
    if (isSessionError(error) && error.code === 'INVALID_VALUE') await forget()
    throw error
  }
  if (!written.written) {
    await forget()
    return false
  }
  await leaveOwner(table, record.key, written.old, owner)
  return true
}

/**
 * After a write replaced or deleted the item `old` at `key`: the entry of the owner it had goes,
 * unless `owner` (the owner the write gave the record) is the same.
 */
export async function leaveOwner(
  table: DynamoDbTable,
  key: string,
  old: DynamoDbItem | undefined,
  owner: string | undefined
): Promise<void> {
  const previous = old?.[ATTRIBUTES.owner]?.S
  const nonce = old?.[ATTRIBUTES.ownerNonce]?.S
  if (previous !== undefined && previous !== owner && nonce !== undefined) {
    await removeEntry(table, previous, key, nonce)
  }
}

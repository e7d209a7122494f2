import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { toBase64url } from '../core/base64url.js'
import { isSessionError, unstorableValue } from '../core/errors.js'
import type { SessionRecord } from '../core/store.js'
import { ATTRIBUTES, type DynamoDbItem } from './dynamodb-item.js'
import {
  isConditionFailure,
  isItemTooLarge,
  type DynamoDbTable,
  type Written,
} from './dynamodb-write.js'

/*
 * DynamoDbStore's owner index (sessions per user, DESIGN.md §12), kept with single-item writes:
 * a global secondary index is eventually consistent (a session bound a moment ago could be
 * missing from a listing, so a limit or a "log out everywhere" would miss it), and a
 * TransactWriteItems is not something the emulator the store is tested on (dynalite) knows.
 *
 * Each owner has one item, `owner#<owner key>`, with an entry per write that bound a session to
 * it, `session:<record key>#<nonce>`: a superset of the owner's live records, read with one
 * strongly consistent GetItem, then the records themselves with strongly consistent
 * BatchGetItems, which decide what is listed (live, and bound to this owner now). A write that
 * binds a record adds its own entry first, under a fresh nonce, and writes the record second,
 * carrying the nonce (`ownerNonce`), so no completed binding is ever missing from the superset;
 * a write that unbinds, re-binds or deletes a record removes the entry of the nonce it replaced
 * (even one of the same owner) after it. An entry is only ever removed by naming its nonce, so
 * two writes binding one record to one owner at once each add and remove only their own: the one
 * that fails its condition takes its entry back, the other's stays. An entry whose record is gone or no longer
 * bound (DynamoDB's TTL deleted it, a cleanup failed) is removed by the next listing, once the
 * write that added it can no longer bind the record: its record would be expired by now, or the
 * record has left the version that write's compare-and-set expects.
 *
 * Tables written before entries were per nonce hold entries `session:<record key>` of one nonce
 * (`n`), which a later binding used to overwrite; they are read as entries of that nonce, and
 * removed only while they still hold it. New writes add per-nonce entries only.
 */

/** The item holding the entries of `owner` (no record key holds a `#`). */
export const ownerItemKey = (owner: string): string => `owner#${owner}`

/** How the attribute of an entry in its owner's item begins: `session:<record key>#<nonce>`. */
export const OWNER_ENTRY_PREFIX = 'session:'

/** The attribute of the entry that the write with `nonce` adds for the record at `key`. */
export const entryName = (key: string, nonce: string): string =>
  `${OWNER_ENTRY_PREFIX}${key}#${nonce}`

/**
 * The attribute of an entry written before entries were per nonce: `session:<record key>`,
 * holding its nonce in `n`. Read and removed, never written.
 */
export const legacyEntryName = (key: string): string => OWNER_ENTRY_PREFIX + key

/** The shape of an entry: per nonce (`current`), or one nonce per record (`legacy`). */
export type EntryShape = 'current' | 'legacy'

/** Counts every change of an owner item's entries, so an empty item is deleted only if still empty. */
const REVISION = 'revision'

/** What an entry records of the write that added it. */
export interface OwnerEntry {
  /** The write's nonce (in the entry's name), which it also writes into the record's `ownerNonce`. */
  nonce: string
  /** The `expiresAt` that write gives the record: past it, the write leaves no live record. */
  expiresAt: number
  /** The version a compare-and-set expects; absent for a create or an upsert. */
  expectedVersion?: number | undefined
}

/** A fresh nonce for a write that binds a record: 96 random bits. */
export const ownerNonce = (): string => toBase64url(crypto.getRandomValues(new Uint8Array(12)))

const ownerKey = (owner: string) => ({ [ATTRIBUTES.key]: { S: ownerItemKey(owner) } })

/**
 * Adds the entry of the write with `entry.nonce` for `key` to the owner's item (creating the
 * item), before the record is bound. Another write's entry for `key` stays as it is.
 */
export async function addEntry(
  table: DynamoDbTable,
  owner: string,
  key: string,
  entry: OwnerEntry
): Promise<void> {
  const value: DynamoDbItem = {
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
          ExpressionAttributeNames: {
            '#entry': entryName(key, entry.nonce),
            '#revision': REVISION,
          },
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
 * Removes the entry the write with `nonce` added for `key` from the owner's item, in `shape` if
 * known (else per nonce, then legacy), and deletes the item once it holds no entry. Never
 * throws: what it leaves is an entry the next listing removes, and the write it cleans up after
 * has already happened.
 */
export async function removeEntry(
  table: DynamoDbTable,
  owner: string,
  key: string,
  nonce: string,
  shape?: EntryShape
): Promise<void> {
  try {
    let left: DynamoDbItem | undefined
    if (shape !== 'legacy') left = await removeAttribute(table, owner, entryName(key, nonce))
    if (left === undefined && shape !== 'current') {
      left = await removeAttribute(table, owner, legacyEntryName(key), nonce)
    }
    const revision = left?.[REVISION]?.N
    if (revision === undefined || Object.keys(left ?? {}).some((name) => isEntry(name))) return
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
    // A failed request: nothing to undo.
  }
}

/**
 * Removes the attribute `name` of the owner's item if it exists (and, for a legacy entry, still
 * holds `legacyNonce`): the item as it is left, or `undefined` if the condition failed.
 */
async function removeAttribute(
  table: DynamoDbTable,
  owner: string,
  name: string,
  legacyNonce?: string
): Promise<DynamoDbItem | undefined> {
  try {
    const { Attributes = {} } = await table.client.send(
      new UpdateItemCommand({
        TableName: table.name,
        Key: ownerKey(owner),
        UpdateExpression: 'REMOVE #entry ADD #revision :one',
        ConditionExpression:
          legacyNonce === undefined ? 'attribute_exists(#entry)' : '#entry.#nonce = :nonce',
        ExpressionAttributeNames: {
          '#entry': name,
          '#revision': REVISION,
          ...(legacyNonce === undefined ? {} : { '#nonce': 'n' }),
        },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ...(legacyNonce === undefined ? {} : { ':nonce': { S: legacyNonce } }),
        },
        ReturnValues: 'ALL_NEW',
      })
    )
    return Attributes
  } catch (error) {
    // Gone already (removed by a listing), or another write's legacy entry now.
    if (isConditionFailure(error)) return undefined
    throw error
  }
}

/** Whether an attribute of an owner item is an entry. */
export const isEntry = (name: string): boolean => name.startsWith(OWNER_ENTRY_PREFIX)

/**
 * A write of `record` by `write` that may bind it: a bound record's owner entry is added first,
 * under a fresh nonce that `itemOf` puts into the item, so a listing never misses a completed
 * binding; that entry (and no other write's) goes again if the write's condition fails or the
 * write is refused. Then the entry of the binding the replaced item had goes, even one to the same
 * owner: the record now carries the new nonce. `expectedVersion` is that of a compare-and-set.
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
      : removeEntry(table, owner, record.key, nonce, 'current')
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
  await leaveOwner(table, record.key, written.old)
  return true
}

/**
 * After a write replaced or deleted the item `old` at `key` with an item that does not carry its
 * nonce: the entry of the binding it had goes (the write that added it has landed, so is done).
 */
export async function leaveOwner(
  table: DynamoDbTable,
  key: string,
  old: DynamoDbItem | undefined
): Promise<void> {
  const previous = old?.[ATTRIBUTES.owner]?.S
  const nonce = old?.[ATTRIBUTES.ownerNonce]?.S
  if (previous !== undefined && nonce !== undefined) {
    await removeEntry(table, previous, key, nonce)
  }
}

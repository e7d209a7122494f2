import { BatchGetItemCommand, type KeysAndAttributes } from '@aws-sdk/client-dynamodb'
import { isSessionError } from '../core/errors.js'
import type { SessionRecord } from '../core/store.js'
import { ATTRIBUTES, type DynamoDbItem } from './dynamodb-item.js'
import {
  OWNER_ENTRY_PREFIX,
  isEntry,
  ownerItemKey,
  removeEntry,
  type EntryShape,
  type OwnerEntry,
} from './dynamodb-owners.js'
import { getItem, type DynamoDbTable } from './dynamodb-write.js'

// DynamoDbStore.listOwner: an owner's entries, then their records (see dynamodb-owners.ts).

/** An entry as it stands in the owner's item: what its write recorded, and its shape. */
export interface StoredEntry extends OwnerEntry {
  shape: EntryShape
}

/**
 * The entries of the owner's item, read strongly consistently, by record key: those per nonce
 * (`session:<record key>#<nonce>`), and legacy ones (`session:<record key>`, nonce in `n`).
 */
export async function ownerEntries(
  table: DynamoDbTable,
  owner: string
): Promise<Map<string, StoredEntry[]>> {
  const item = (await getItem(table, 'listOwner', ownerItemKey(owner))) ?? {}
  const entries = new Map<string, StoredEntry[]>()
  for (const [name, value] of Object.entries(item)) {
    if (!isEntry(name)) continue
    // No record key holds a `#`, and no nonce does: a name without one is a legacy entry.
    const rest = name.slice(OWNER_ENTRY_PREFIX.length)
    const cut = rest.indexOf('#')
    const fields = value.M
    const nonce = cut < 0 ? fields?.['n']?.S : rest.slice(cut + 1)
    const expiresAt = Number(fields?.['x']?.N)
    const expected = fields?.['e']?.N
    // An entry edited by hand into another shape is no entry: it lists nothing.
    if (nonce === undefined || nonce === '' || !Number.isSafeInteger(expiresAt)) continue
    const key = cut < 0 ? rest : rest.slice(0, cut)
    const entry: StoredEntry = {
      nonce,
      expiresAt,
      expectedVersion: expected === undefined ? undefined : Number(expected),
      shape: cut < 0 ? 'legacy' : 'current',
    }
    entries.set(key, [...(entries.get(key) ?? []), entry])
  }
  return entries
}

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_LIMIT = 100
/** Rounds of a batch DynamoDB keeps answering with unprocessed keys (throttled) before giving up. */
const UNPROCESSED_ROUNDS = 8

/** The items at `keys`, read strongly consistently, 100 keys a request. */
async function itemsAt(table: DynamoDbTable, keys: string[]): Promise<Map<string, DynamoDbItem>> {
  const items = new Map<string, DynamoDbItem>()
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: KeysAndAttributes | undefined = {
      Keys: keys.slice(start, start + BATCH_GET_LIMIT).map((key) => ({ key: { S: key } })),
      ConsistentRead: true,
    }
    for (let round = 1; pending !== undefined; round++) {
      const request: KeysAndAttributes = pending
      const reply = await table.attempt('listOwner', async () => {
        if (round > UNPROCESSED_ROUNDS) {
          throw new Error(`DynamoDB left keys unprocessed ${UNPROCESSED_ROUNDS} times (throttled)`)
        }
        return table.client.send(
          new BatchGetItemCommand({ RequestItems: { [table.name]: request } })
        )
      })
      for (const item of reply.Responses?.[table.name] ?? []) {
        const key = item[ATTRIBUTES.key]?.S
        if (key !== undefined) items.set(key, item)
      }
      const unprocessed = reply.UnprocessedKeys?.[table.name]
      pending = unprocessed?.Keys?.length ? unprocessed : undefined
      if (pending !== undefined) await new Promise((resolve) => setTimeout(resolve, 2 ** round))
    }
  }
  return items
}

/**
 * The live records bound to `owner`: its entries, then their records, decoded by `decode`.
 * Entries the write that added them can no longer make true are removed on the way, each by
 * the nonce read, so an entry a write adds meanwhile stays.
 */
export async function listOwnerRecords(
  table: DynamoDbTable,
  owner: string,
  decode: (key: string, item: DynamoDbItem) => Promise<SessionRecord>
): Promise<SessionRecord[]> {
  const entries = await ownerEntries(table, owner)
  const items = await itemsAt(table, [...entries.keys()])
  const now = Date.now()
  const listed: SessionRecord[] = []
  const stale: Promise<void>[] = []
  for (const [key, written] of entries) {
    const item = items.get(key)
    let record: SessionRecord | undefined
    try {
      record = item === undefined ? undefined : await decode(key, item)
    } catch (error) {
      // A record that cannot be decoded is not listed (it reads as invalid); its entries stay.
      if (isSessionError(error) && error.code === 'INVALID_STORED_DATA') continue
      throw error
    }
    if (record !== undefined && record.owner === owner && record.expiresAt > now) {
      listed.push(record)
      continue
    }
    const version = item?.[ATTRIBUTES.version]?.N
    for (const entry of written) {
      const settled =
        entry.expiresAt <= now ||
        (entry.expectedVersion !== undefined && version !== String(entry.expectedVersion))
      if (settled) stale.push(removeEntry(table, owner, key, entry.nonce, entry.shape))
    }
  }
  await Promise.all(stale)
  return listed
}

import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord } from '../../src/core/store.js'
import type { DynamoDbItem } from '../../src/stores/dynamodb-item.js'
import {
  OWNER_ENTRY_PREFIX,
  legacyEntryName,
  ownerItemKey,
} from '../../src/stores/dynamodb-owners.js'
import { deleteExpiredItems } from '../helpers/dynalite.js'
import { keysOf, startOwnerTables } from '../helpers/dynamodb-owner-tables.js'
import { makeRecord } from '../helpers/store-conformance.js'

// Owner items in the shape the store wrote before entries were per nonce: one entry per record,
// `session:<record key>`, its nonce in `n`. Deployed tables hold them; the store reads them,
// prunes them and removes them by their nonce, and writes only per-nonce entries next to them.

const { client, freshStore } = await startOwnerTables()

const ada = ownerKeyOf('ada')

/** A store whose owner item for `ada` holds the legacy entries of the records `create`d. */
async function legacyTable(records: SessionRecord[]) {
  const table = await freshStore()
  for (const record of records) await table.store.create(record)
  const item = (await table.raw(ownerItemKey(ada)))!
  const legacy: DynamoDbItem = {}
  for (const [name, value] of Object.entries(item)) {
    const [key, nonce] = name.slice(OWNER_ENTRY_PREFIX.length).split('#')
    legacy[nonce === undefined ? name : legacyEntryName(key!)] =
      nonce === undefined ? value : { M: { n: { S: nonce }, ...value.M } }
  }
  await client.send(new PutItemCommand({ TableName: table.tableName, Item: legacy }))
  /** The names of the owner's entries as they stand. */
  const names = async () =>
    Object.keys((await table.raw(ownerItemKey(ada))) ?? {})
      .filter((name) => name.startsWith(OWNER_ENTRY_PREFIX))
      .sort()
  expect(await names()).toStrictEqual(records.map((record) => legacyEntryName(record.key)).sort())
  return { ...table, names }
}

describe('DynamoDbStore owner index on owner items written before entries were per nonce', () => {
  it('lists their records, and removes an entry when its record is unbound or deleted', async () => {
    const [first, second] = [
      makeRecord('first', { owner: ada }),
      makeRecord('second', { owner: ada }),
    ]
    const { store, raw, names } = await legacyTable([first, second])
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['first', 'second'])

    await store.delete('first')
    const unbound: SessionRecord = { ...second, version: 1 }
    delete unbound.owner
    expect(await store.save(unbound, 0)).toBe(true)
    expect(await names()).toStrictEqual([])
    expect(await raw(ownerItemKey(ada))).toBeUndefined()
  })

  it('a binding anew writes a per-nonce entry and takes the legacy one', async () => {
    const record = makeRecord('rebound', { owner: ada })
    const { store, raw, names } = await legacyTable([record])
    expect(await store.save({ ...record, version: 1 })).toBe(true)
    const nonce = (await raw('rebound'))?.['ownerNonce']?.S
    expect(await names()).toStrictEqual([`${OWNER_ENTRY_PREFIX}rebound#${nonce}`])
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['rebound'])
  })

  it("a listing removes the entry of a record DynamoDB's TTL deleted, and leaves one its nonce no longer names", async () => {
    const short = makeRecord('short', { owner: ada, expiresAt: Date.now() + 100 })
    const long = makeRecord('long', { owner: ada })
    const { store, tableName, names } = await legacyTable([short, long])
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await deleteExpiredItems(client, tableName)).toBe(1)
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['long'])
    expect(await names()).toStrictEqual([legacyEntryName('long')])

    // A removal names its nonce: the entry of another nonce (a write racing it) stays.
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          key: { S: ownerItemKey(ada) },
          revision: { N: '9' },
          [legacyEntryName('long')]: {
            M: { n: { S: 'another-nonce' }, x: { N: String(long.expiresAt) } },
          },
        },
      })
    )
    await store.delete('long')
    expect(await names()).toStrictEqual([legacyEntryName('long')])
  })
})

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord } from '../../src/core/store.js'
import { entryName, ownerItemKey } from '../../src/stores/dynamodb-owners.js'
import { DynamoDbStore } from '../../src/stores/dynamodb-store.js'
import { holdRequests, type HeldRequest } from '../helpers/dynalite.js'
import { keysOf, startOwnerTables } from '../helpers/dynamodb-owner-tables.js'
import { makeRecord } from '../helpers/store-conformance.js'

// Two writes binding one record to one owner at once, each through a store of its own, staged
// request by request: both add their entry, one write lands, the other fails and takes its own
// entry back. The owner's entry of the write that landed must stay (dynamodb-owners.ts).

const { dynamo, freshStore } = await startOwnerTables()

const ada = ownerKeyOf('ada')

/** The write of the record item at `key` (not the owner item's) that binds it. */
const bindsRecord = (key: string) => (request: HeldRequest) =>
  ['UpdateItemCommand', 'PutItemCommand'].includes(request.command) &&
  JSON.stringify(request.input['Key'] ?? request.input['Item']).includes(`{"key":{"S":"${key}"}`) &&
  // The first attempt of a compare-and-set keeps the owner, and fails on the unbound record.
  !String(request.input['ConditionExpression']).includes('#owner = :owner')

/**
 * Two stores on one table, and `race`: it starts `first` up to its record write (its entry is
 * added), then `second` up to its own, then lets `first` finish, then `second`.
 */
async function twoStores() {
  const [one, two] = [dynamo.client(), dynamo.client()]
  const table = await freshStore(one)
  const other = new DynamoDbStore(two, { tableName: table.tableName })
  async function race<A, B>(
    key: string,
    first: (store: DynamoDbStore) => Promise<A>,
    second: (store: DynamoDbStore) => Promise<B>
  ) {
    const heldFirst = holdRequests(one, bindsRecord(key))
    const firstDone = first(table.store)
    await heldFirst.reached
    const heldSecond = holdRequests(two, bindsRecord(key))
    const secondDone = second(other).then(
      (value) => ({ value }),
      (error: unknown) => ({ error })
    )
    await heldSecond.reached
    heldFirst.release()
    const firstResult = await firstDone
    heldSecond.release()
    return [firstResult, await secondDone] as const
  }
  return { ...table, race }
}

describe('DynamoDbStore owner index under writes binding one record to one owner', () => {
  it('the compare-and-set that loses takes only its own entry: the record the other bound stays listed', async () => {
    const { store, entries, race } = await twoStores()
    const record = makeRecord('contested')
    await store.create(record)
    const [won, lost] = await race(
      record.key,
      (one) => one.save({ ...record, owner: ada, data: { by: 'one' }, version: 1 }, 0),
      (two) => two.save({ ...record, owner: ada, data: { by: 'two' }, version: 1 }, 0)
    )
    expect(won).toBe(true)
    expect(lost).toStrictEqual({ value: false })
    expect((await store.load(record.key))?.data).toStrictEqual({ by: 'one' })
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['contested'])
    expect(await entries(ada)).toHaveLength(1)

    // Unbound again, the record leaves nothing in its owner's item.
    const unbound: SessionRecord = { ...record, version: 2 }
    expect(await store.save(unbound, 1)).toBe(true)
    expect(await entries(ada)).toStrictEqual([])
  })

  it('a binding refused as too large takes only its own entry: the record the other bound stays listed', async () => {
    const { store, entries, race } = await twoStores()
    const record = makeRecord('contested')
    await store.create(record)
    // Random characters do not compress: over DynamoDB's 400 KB even gzipped, under maxSize.
    const huge = randomBytes(450 * 1024).toString('base64')
    const [won, refused] = await race(
      record.key,
      (one) => one.save({ ...record, owner: ada, version: 1 }, 0),
      (two) => two.save({ ...record, owner: ada, data: { huge }, version: 1 })
    )
    expect(won).toBe(true)
    expect('error' in refused && isSessionError(refused.error) && refused.error.code).toBe(
      'INVALID_VALUE'
    )
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['contested'])
    expect(await entries(ada)).toHaveLength(1)
  })

  it('a write binding a record to the owner it has already leaves one entry: its own', async () => {
    const { store, raw, entries } = await freshStore()
    const record = makeRecord('again', { owner: ada })
    await store.create(record)
    // An upsert, then a create over the record once expired: each binds it anew.
    expect(await store.save({ ...record, version: 1 })).toBe(true)
    expect(await entries(ada)).toStrictEqual(['again'])
    const expired = { ...record, version: 2, expiresAt: Date.now() + 50 }
    expect(await store.save(expired, 1)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await store.create(makeRecord('again', { owner: ada }))).toBe(true)
    expect(await entries(ada)).toStrictEqual(['again'])
    const nonce = (await raw('again'))?.['ownerNonce']?.S
    expect(Object.keys((await raw(ownerItemKey(ada))) ?? {})).toContain(entryName('again', nonce!))
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['again'])
  })
})

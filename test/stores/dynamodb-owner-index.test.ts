import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { ownerKeyOf } from '../../src/core/owner.js'
import { recordKeyOf } from '../../src/core/session-id.js'
import type { SessionRecord } from '../../src/core/store.js'
import { entryName, ownerItemKey } from '../../src/stores/dynamodb-owners.js'
import { deleteExpiredItems, holdRequests } from '../helpers/dynalite.js'
import { keysOf, startOwnerTables } from '../helpers/dynamodb-owner-tables.js'
import { CookieJar } from '../helpers/http.js'
import { expectPreviousSessionCarriedOver } from '../helpers/previous-release.js'
import { boundCounterApp } from '../helpers/store-apps.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { idOfCookie } from '../helpers/stores.js'

// DynamoDbStore's owner index beyond the conformance cases: one item per owner, written before
// a record is bound (dynamodb-owners.ts). What its protocol promises under staged races, what
// it leaves after DynamoDB's TTL, and what a returning visitor pays for it.

const { dynamo, client, freshStore } = await startOwnerTables()

const ada = ownerKeyOf('ada')
const bob = ownerKeyOf('bob')

/** Whether `input` is the write of a record item at `key` (not an owner item). */
const writesRecord = (input: Record<string, unknown>, key: string) =>
  JSON.stringify(input['Key'] ?? input['Item']).includes(`{"key":{"S":"${key}"}`)

describe('DynamoDbStore owner index', () => {
  it('keeps the owner and its binding nonce in the record item, and the entries in owner#<owner key>', async () => {
    const { store, raw, entries } = await freshStore()
    await store.create(makeRecord('a1', { owner: ada }))
    await store.create(makeRecord('a2', { owner: ada }))
    const item = await raw('a1')
    expect(item?.['owner']?.S).toBe(ada)
    const nonce = item?.['ownerNonce']?.S
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(await entries(ada)).toStrictEqual(['a1', 'a2'])
    expect((await raw(ownerItemKey(ada)))?.[entryName('a1', nonce!)]?.M?.['x']?.N).toBe(
      String(item?.['expiresAt']?.N)
    )

    // A save that keeps the owner keeps the nonce; scan lists records, never the owner item.
    const record = (await store.load('a1'))!
    expect(await store.save({ ...record, data: { n: 2 }, version: 1 }, 0)).toBe(true)
    expect((await raw('a1'))?.['ownerNonce']?.S).toBe(nonce)
    const scanned: string[] = []
    for await (const each of store.scan()) scanned.push(each.key)
    expect(scanned.sort()).toStrictEqual(['a1', 'a2'])
  })

  it('a returning visitor bound to a user costs what an unbound one does: GetItem, UpdateItem', async () => {
    const { store } = await freshStore()
    const jar = new CookieJar(boundCounterApp(store))
    expect(await jar.text('/count')).toBe('0')
    await jar.fetch('/login/ada', { method: 'POST' })
    expect(await jar.text('/count')).toBe('1')
    dynamo.operations.length = 0
    expect(await jar.text('/count')).toBe('2')
    expect(dynamo.operations).toStrictEqual(['GetItem', 'UpdateItem'])
    expect(await keysOf(store.listOwner(ownerKeyOf('ada')))).toStrictEqual([
      recordKeyOf(idOfCookie(jar.cookies.get('id')!)),
    ])
  })

  it('a login costs one UpdateItem more (its entry), a logout one more, two for the last session (its entry, then the empty item)', async () => {
    const { store } = await freshStore()
    const jar = new CookieJar(boundCounterApp(store))
    expect(await jar.text('/count')).toBe('0')
    dynamo.operations.length = 0
    await jar.fetch('/login/ada', { method: 'POST' })
    // Load, the entry, the new record, the old one as a moved marker, the marker, the delete.
    expect(dynamo.operations).toStrictEqual([
      'GetItem',
      'UpdateItem',
      'PutItem',
      'UpdateItem',
      'PutItem',
      'DeleteItem',
    ])
    const other = new CookieJar(boundCounterApp(store))
    expect(await other.text('/count')).toBe('0')
    await other.fetch('/login/ada', { method: 'POST' })
    // Load, the compare-and-set to a flushed marker, its entry, the delete.
    dynamo.operations.length = 0
    await other.fetch('/logout', { method: 'POST' })
    expect(dynamo.operations).toStrictEqual(['GetItem', 'UpdateItem', 'UpdateItem', 'DeleteItem'])
    dynamo.operations.length = 0
    await jar.fetch('/logout', { method: 'POST' })
    expect(dynamo.operations).toStrictEqual([
      'GetItem',
      'UpdateItem',
      'UpdateItem',
      'DeleteItem',
      'DeleteItem',
    ])
  })

  it("a binding past the 400 KB of its user's item is refused with INVALID_VALUE, and writes no session", async () => {
    const { store, tableName, entries } = await freshStore()
    await store.create(makeRecord('first', { owner: ada }))
    // Fill the owner's item to within 8 bytes of DynamoDB's limit, as thousands of sessions would.
    const fill = (length: number) =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { key: { S: ownerItemKey(ada) } },
          UpdateExpression: 'SET #filler = :filler',
          ExpressionAttributeNames: { '#filler': 'filler' },
          ExpressionAttributeValues: { ':filler': { S: 'x'.repeat(length) } },
        })
      )
    let length = 400 * 1024
    while (
      await fill(length).then(
        () => false,
        () => true
      )
    )
      length -= 8
    await expect(store.create(makeRecord('one-too-many', { owner: ada }))).rejects.toSatisfy(
      (error) => isSessionError(error) && error.code === 'INVALID_VALUE'
    )
    expect(await store.load('one-too-many')).toBeUndefined()
    expect(await entries(ada)).toStrictEqual(['first'])
  })

  it('a listing racing a bound create neither lists it nor drops its entry before it lands', async () => {
    const racing = dynamo.client()
    const { store, entries } = await freshStore(racing)
    const held = holdRequests(racing, (r) => r.command === 'PutItemCommand')
    const creating = store.create(makeRecord('late', { owner: ada }))
    await held.reached // its entry is written, its record not yet
    expect(await entries(ada)).toStrictEqual(['late'])
    expect(await store.listOwner(ada)).toStrictEqual([])
    expect(await entries(ada)).toStrictEqual(['late'])
    held.release()
    expect(await creating).toBe(true)
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['late'])
  })

  it('a listing racing a save that binds a record keeps the entry while the save can still land', async () => {
    const racing = dynamo.client()
    const { store, entries } = await freshStore(racing)
    const record = makeRecord('moving', { owner: bob })
    await store.create(record)
    const held = holdRequests(
      racing,
      (r) => r.command === 'UpdateItemCommand' && writesRecord(r.input, 'moving')
    )
    // The first attempt keeps the owner and fails on it; the held one binds the record to ada.
    const binding = store.save({ ...record, owner: ada, version: 1 }, 0)
    const first = await held.reached
    expect(String(first.input['ConditionExpression'])).toContain('#owner = :owner')
    const second = holdRequests(
      racing,
      (r) => r.command === 'UpdateItemCommand' && writesRecord(r.input, 'moving')
    )
    held.release()
    await second.reached
    expect(await entries(ada)).toStrictEqual(['moving'])
    expect(await store.listOwner(ada)).toStrictEqual([])
    expect(await entries(ada)).toStrictEqual(['moving'])
    second.release()
    expect(await binding).toBe(true)
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['moving'])
    expect(await store.listOwner(bob)).toStrictEqual([])
    expect(await entries(bob)).toStrictEqual([])
  })

  it('the removal of an entry racing a new binding of the same record leaves the new entry', async () => {
    const racing = dynamo.client()
    const { store, entries } = await freshStore(racing)
    const record = makeRecord('rebound', { owner: ada })
    await store.create(record)
    const unbound: SessionRecord = { ...record, version: 1 }
    delete unbound.owner
    // The unbinding save lands, then its removal of ada's entry is held...
    const held = holdRequests(
      racing,
      (r) =>
        r.command === 'UpdateItemCommand' &&
        String(r.input['UpdateExpression']).startsWith('REMOVE')
    )
    const unbinding = store.save(unbound, 0)
    await held.reached
    // ...while the record is bound to ada again, by a save that completes.
    expect(await store.save({ ...record, version: 2 }, 1)).toBe(true)
    held.release()
    expect(await unbinding).toBe(true)
    expect(await entries(ada)).toStrictEqual(['rebound'])
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['rebound'])
  })

  it("an entry of a record DynamoDB's TTL deleted is never listed, and the next listing removes it", async () => {
    const { store, tableName, raw, entries } = await freshStore()
    await store.create(makeRecord('short', { owner: ada, expiresAt: Date.now() + 200 }))
    await store.create(makeRecord('long', { owner: ada }))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await deleteExpiredItems(client, tableName)).toBe(1)
    expect(await entries(ada)).toStrictEqual(['long', 'short'])
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['long'])
    expect(await entries(ada)).toStrictEqual(['long'])

    // When the last entry goes, so does the owner's item.
    await store.delete('long')
    expect(await raw(ownerItemKey(ada))).toBeUndefined()
  })

  it('a bound record that cannot be decoded is left out of the listing, which goes on', async () => {
    const { store, tableName, raw, entries } = await freshStore()
    await store.create(makeRecord('good', { owner: ada }))
    await store.create(makeRecord('corrupt', { owner: ada }))
    const item = { ...(await raw('corrupt')), data: { S: '{"trunc' } }
    await client.send(new PutItemCommand({ TableName: tableName, Item: item }))
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(['good'])
    expect(await entries(ada)).toStrictEqual(['corrupt', 'good'])
  })

  it('a create or a compare-and-set that loses leaves no entry behind', async () => {
    const { store, entries } = await freshStore()
    await store.create(makeRecord('taken'))
    expect(await store.create(makeRecord('taken', { owner: ada }))).toBe(false)
    expect(await store.save(makeRecord('taken', { owner: ada, version: 1 }), 7)).toBe(false)
    expect(await entries(ada)).toStrictEqual([])
    expect(await store.listOwner(ada)).toStrictEqual([])
  })

  it('20 sessions bound to one user at once are all in its entries and its listing', async () => {
    const { store, entries } = await freshStore()
    const keys = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`)
    await Promise.all(keys.map((key) => store.create(makeRecord(key, { owner: ada }))))
    expect(await entries(ada)).toStrictEqual(keys)
    expect(await keysOf(store.listOwner(ada))).toStrictEqual(keys)
    await Promise.all(keys.map((key) => store.delete(key)))
    expect(await entries(ada)).toStrictEqual([])
  })

  it('a table of the previous release, with its sessions, serves them on and binds them at login', async () => {
    const { store, tableName, raw } = await freshStore()
    // The item the previous release wrote: no owner, no ownerNonce, and no owner items.
    await expectPreviousSessionCarriedOver(store, async (key, session) => {
      const item = {
        key: { S: key },
        ...Object.fromEntries(
          (['version', 'expiresAt', 'createdAt', 'schemaVersion'] as const).map((name) => [
            name,
            { N: String(session[name]) },
          ])
        ),
        ttl: { N: String(Math.ceil(session.expiresAt / 1000)) },
        data: { S: session.data },
        token: { S: session.token },
      }
      await client.send(new PutItemCommand({ TableName: tableName, Item: item }))
      expect(await raw(key)).not.toHaveProperty('owner')
    })
  })
})

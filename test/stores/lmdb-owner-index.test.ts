import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from 'lmdb'
import { afterAll, describe, expect, it } from 'vitest'
import { ownerKeyOf } from '../../src/core/owner.js'
import { ownerIndexEntriesOf } from '../../src/stores/lmdb-owner-index.js'
import { LmdbStore } from '../../src/stores/lmdb-store.js'
import { CookieJar } from '../helpers/http.js'
import { countedLmdb } from '../helpers/lmdb.js'
import { boundCounterApp } from '../helpers/store-apps.js'
import { makeRecord } from '../helpers/store-conformance.js'

// LmdbStore's owner index beyond the conformance cases: where its entries are, that scan and
// deleteExpired see records only, and what a returning visitor pays for it.

const root = mkdtempSync(join(tmpdir(), 'typed-sessions-lmdb-owners-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let files = 0
const openDatabase = () => open({ path: join(root, `owners-${++files}.mdb`), useVersions: true })
const ada = ownerKeyOf('ada')
const bob = ownerKeyOf('bob')

describe('LmdbStore owner index', () => {
  it('keeps one printable entry per bound record in the same database, moved by a re-binding save', async () => {
    const db = openDatabase()
    const store = new LmdbStore(db)
    const record = makeRecord('bound', { owner: ada })
    await store.create(record)
    await store.create(makeRecord('free'))
    expect(Array.from(db.getKeys())).toStrictEqual([`!${ada} bound`, 'bound', 'free'])
    expect(await store.save({ ...record, owner: bob, version: 1 }, 0)).toBe(true)
    expect(Array.from(db.getKeys())).toStrictEqual([`!${bob} bound`, 'bound', 'free'])
    await store.delete('bound')
    expect(Array.from(db.getKeys())).toStrictEqual(['free'])
    await db.close()
  })

  it('scan and deleteExpired pass over the index entries; deleteExpired removes those of expired records', async () => {
    const db = openDatabase()
    const store = new LmdbStore(db)
    await store.create(makeRecord('live', { owner: ada }))
    for (let i = 0; i < 3; i++) {
      await store.save(makeRecord(`old-${i}`, { owner: ada, expiresAt: Date.now() - 1 }))
    }
    expect(ownerIndexEntriesOf(db, ada)).toBe(4)
    const scanned: string[] = []
    for await (const record of store.scan()) scanned.push(record.key)
    expect(scanned).toStrictEqual(['live'])
    expect(await store.deleteExpired()).toBe(3)
    expect(Array.from(db.getKeys())).toStrictEqual([`!${ada} live`, 'live'])
    await db.close()
  })

  it('an upsert over a bound record removes the entry of the owner it replaces', async () => {
    const db = openDatabase()
    const store = new LmdbStore(db)
    await store.create(makeRecord('k', { owner: ada }))
    expect(await store.save(makeRecord('k', { version: 5 }))).toBe(true)
    expect(ownerIndexEntriesOf(db, ada)).toBe(0)
    expect(await store.listOwner(ada)).toStrictEqual([])
    await db.close()
  })

  it('a returning visitor bound to a user costs what an unbound one does: two reads and one conditional put', async () => {
    const db = openDatabase()
    const { counted, calls } = countedLmdb(db)
    const jar = new CookieJar(boundCounterApp(new LmdbStore(counted)))
    expect(await jar.text('/count')).toBe('0')
    await jar.fetch('/login/ada', { method: 'POST' })
    expect(await jar.text('/count')).toBe('1')
    calls.length = 0
    expect(await jar.text('/count')).toBe('2')
    expect(calls).toStrictEqual(['getEntry', 'getEntry', 'put'])
    expect(await new LmdbStore(db).listOwner(ada)).toHaveLength(1)
    await db.close()
  })
})

import { describe, expect, it } from 'vitest'
import { MemoryStore, migrateStore, recordKeyOf } from 'typed-sessions'
import { CookieSigner } from '../src/cookie/signer.js'
import { appSession } from '../schemas/app-session.js'
import { CookieJar } from '../test/helpers/http.js'
import { createApp, seedVersion1Sessions } from './migration.js'

// The example's development secret (no SESSION_SECRET in tests).
const signer = new CookieSigner('dev-only secret: set SESSION_SECRET in production', 'id')

describe('the migration example', () => {
  it('upgrades a version-1 session lazily on its next request', async () => {
    const store = new MemoryStore()
    const [id] = await seedVersion1Sessions(store, 1)
    const jar = new CookieJar(createApp(store))
    jar.cookies.set('id', signer.sign(id!))
    expect(await (await jar.fetch('/')).json()).toEqual({ counter: 1, user: null })
    expect(await store.load(recordKeyOf(id!))).toMatchObject({
      schemaVersion: 3,
      data: { counter: 1, role: 'guest' },
    })
    await jar.fetch('/login/ada', { method: 'POST' })
    expect(await (await jar.fetch('/')).json()).toEqual({ counter: 2, user: 'ada' })
  })

  it('upgrades every session in bulk, after a dry run', async () => {
    const store = new MemoryStore()
    const ids = await seedVersion1Sessions(store, 50)
    expect(await migrateStore(appSession, store, { dryRun: true })).toMatchObject({
      migrated: 50,
      dryRun: true,
    })
    expect(await migrateStore(appSession, store)).toMatchObject({ migrated: 50, invalid: 0 })
    expect(await store.load(recordKeyOf(ids[7]!))).toMatchObject({
      schemaVersion: 3,
      data: { counter: 7, role: 'customer' },
    })
  })
})

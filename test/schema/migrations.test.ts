import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  MemoryStore,
  defineSession,
  generateSessionId,
  isSessionError,
  recordKeyOf,
  versioned,
  type InvalidDataInfo,
  type SessionDefinition,
} from 'typed-sessions'
import { CookieSigner } from '../../src/cookie/signer.js'
import { appSchemaV3, appSession, appSessionV2 } from '../../schemas/app-session.js'
import { SECRET, sessionApp } from '../helpers/http.js'

const signer = new CookieSigner(SECRET, 'id')

/**
 * A store holding one session with `data` written under `schemaVersion`, and an app of
 * `definition` on it: `/raw` shows the data the engine holds, `/counter` reads through the
 * typed accessor; errors are answered 409 and kept in `errors`.
 */
async function seeded(definition: SessionDefinition, schemaVersion: number, data: object) {
  const store = new MemoryStore()
  const id = generateSessionId()
  const key = recordKeyOf(id)
  const now = Date.now()
  await store.create({
    key,
    data: JSON.parse(JSON.stringify(data)),
    createdAt: now,
    expiresAt: now + 60_000,
    version: 0,
    schemaVersion,
  })
  const errors: unknown[] = []
  const app = sessionApp(definition, { store })
  app.get('/raw', async (c) => {
    const engine = c.var.session.engine
    const keys = await engine.keys()
    return c.json(
      Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await engine.get(k)])))
    )
  })
  app.get('/counter', async (c) => c.json({ counter: await c.var.session.get('counter' as never) }))
  app.onError((error, c) => (errors.push(error), c.text('handled', 409)))
  const request = (path: string) =>
    app.request(path, { headers: { Cookie: `id=${signer.sign(id)}` } })
  return { store, key, request, errors }
}

describe('lazy upgrade on load', () => {
  it('a v3 app reads a v1 session upgraded, and saves it under v3 though it only read', async () => {
    const { request, store, key } = await seeded(appSession, 1, { count: 7 })
    expect(await (await request('/counter')).json()).toEqual({ counter: 7 })
    expect(await store.load(key)).toMatchObject({
      schemaVersion: 3,
      data: { counter: 7, role: 'customer' },
    })
  })

  it('runs the last step on the data of the one before: a first visit becomes a guest', async () => {
    const { request, store, key } = await seeded(appSession, 1, { count: 0 })
    expect(await (await request('/raw')).json()).toEqual({ counter: 0, role: 'guest' })
    expect((await store.load(key))!.data).toEqual({ counter: 0, role: 'guest' })
  })

  it('runs every step in turn: a v2 session too', async () => {
    const { request, store, key } = await seeded(appSession, 2, { counter: 4 })
    expect(await (await request('/raw')).json()).toEqual({ counter: 4, role: 'customer' })
    expect(await store.load(key)).toMatchObject({ schemaVersion: 3, version: 1 })
  })

  it('pays nothing for a current-version record: nothing is saved when it is only read', async () => {
    const { request, store, key } = await seeded(appSession, 3, { counter: 2 })
    const response = await request('/counter')
    expect(await response.json()).toEqual({ counter: 2 })
    expect(response.headers.get('set-cookie')).toBeNull()
    expect((await store.load(key))!.version).toBe(0)
  })

  it('drops a record that fails a middle step: the request sees an empty session', async () => {
    // -1 passes version 1 but fails version 2 (nonnegative).
    const { request, store, key } = await seeded(appSession, 1, { count: -1 })
    expect(await (await request('/raw')).json()).toEqual({})
    expect(await (await request('/counter')).json()).toEqual({ counter: 0 })
    // Not overwritten by a read: a fixed release could still migrate it.
    expect(await store.load(key)).toMatchObject({ schemaVersion: 1, data: { count: -1 } })
  })

  it("throws INVALID_STORED_DATA for an unmigratable record with onInvalid: 'throw'", async () => {
    const strict = defineSession(
      versioned(z.object({ count: z.number() })).migrate(z.object({ counter: z.number() }), () => {
        throw new Error('no way forward')
      }),
      { onInvalid: 'throw' }
    )
    const { request, errors } = await seeded(strict, 1, { count: 1 })
    expect((await request('/raw')).status).toBe(409)
    expect(isSessionError(errors[0]) && errors[0].code).toBe('INVALID_STORED_DATA')
    expect((errors[0] as Error).message).toMatch(/no way forward/)
  })

  it('never migrates a newer record down: it reads as empty, and is kept until a write', async () => {
    const seen: InvalidDataInfo[] = []
    const rolledBack = defineSession(appSessionV2.schema, {
      onInvalid: (info) => (seen.push(info), 'drop'),
    })
    const data = { counter: 5, user: { id: 'u', name: 'Ada' } }
    const { request, store, key } = await seeded(rolledBack, 3, data)
    expect(await (await request('/raw')).json()).toEqual({})
    expect(seen).toMatchObject([{ reason: 'newer-version', storedVersion: 3, currentVersion: 1 }])
    expect(await store.load(key)).toMatchObject({ schemaVersion: 3, data })
  })

  it('tells an onInvalid function why a migration failed, with the Zod issues', async () => {
    const seen: InvalidDataInfo[] = []
    const history = defineSession(
      versioned(z.object({ count: z.number() })).migrate(appSchemaV3, (v1) => ({
        counter: v1.count,
        role: 'guest' as const,
      })),
      { onInvalid: (info) => (seen.push(info), 'drop') }
    )
    const { request } = await seeded(history, 1, { count: 'seven' })
    await request('/raw')
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      reason: 'migration-failed',
      storedVersion: 1,
      currentVersion: 2,
    })
    expect(seen[0]!.issues[0]).toMatchObject({ code: 'invalid_type', path: ['count'] })
  })

  it('keeps a "__proto__" key in stored data from polluting anything while migrating', async () => {
    const data = JSON.parse('{"count": 3, "__proto__": {"polluted": true}}')
    const { request, store, key } = await seeded(appSession, 1, data)
    expect(await (await request('/raw')).json()).toEqual({ counter: 3, role: 'customer' })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys((await store.load(key))!.data)).toEqual(['counter', 'role'])
  })
})

import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, MemoryStore, recordKeyOf, versioned } from 'typed-sessions'
import type { JsonObject, SessionDefinition, SessionSchema } from 'typed-sessions'
import { EventLog } from '../helpers/events.js'
import { CookieJar, sessionApp } from '../helpers/http.js'
import { idOfCookie, rewriteRecordOfCookie, TestStore } from '../helpers/stores.js'

// DESIGN.md §13: what did not verify or does not fit, and what the policy decided (issue 19
// item 6: a record dropped for a schema change is never silent).

const cartV1 = defineSession(z.object({ cart: z.array(z.string()).optional() }))
// The schema changed shape without a migration step: the stored array no longer fits.
const cartV2 = defineSession(
  z.object({ cart: z.object({ items: z.array(z.string()) }).default({ items: [] }) })
)

/** An app that reads (`GET /cart`) and writes (`POST /cart`) the cart. */
function cartApp<S extends SessionSchema>(
  definition: SessionDefinition<S>,
  store: MemoryStore | TestStore,
  log = new EventLog()
) {
  const app = sessionApp(definition, { store, on: log.on })
  app.get('/cart', async (c) => c.json(await c.var.session.get('cart' as never)))
  app.post('/cart', async (c) => {
    await c.var.session.set('cart' as never, ['apple', 'pear'] as never)
    return c.text('ok')
  })
  return { app, log }
}

/** A v1 cart of two fruits in `store`; the cookie that names it. */
async function storedCart(store: MemoryStore | TestStore): Promise<string> {
  const jar = new CookieJar(cartApp(cartV1, store).app)
  await jar.fetch('/cart', { method: 'POST' })
  return jar.cookies.get('id')!
}

describe('the invalid event', () => {
  it('tells a tampered cookie as reason cookie, with no record key and no store call', async () => {
    const store = new TestStore()
    const cookie = await storedCart(store)
    const { app, log } = cartApp(cartV1, store)
    store.resetCounts()
    const tampered = `${cookie.slice(0, 30)}${cookie[30] === 'A' ? 'B' : 'A'}${cookie.slice(31)}`
    await app.request('/cart', { headers: { cookie: `id=${tampered}` } })
    expect(log.of('invalid')).toEqual([
      {
        type: 'invalid',
        recordKey: undefined,
        at: expect.any(Number),
        reason: 'cookie',
        decision: 'drop',
      },
    ])
    expect(store.total).toBe(0)
  })

  it('tells a value dropped by a schema change without a migration, with its key and issues', async () => {
    const store = new MemoryStore()
    const cookie = await storedCart(store)
    const { app, log } = cartApp(cartV2, store)
    const response = await app.request('/cart', { headers: { cookie: `id=${cookie}` } })
    expect(await response.json()).toEqual({ items: [] })
    const [event] = log.of('invalid')
    expect(log.of('invalid')).toHaveLength(1)
    expect(event).toMatchObject({
      recordKey: recordKeyOf(idOfCookie(cookie)),
      reason: 'value',
      key: 'cart',
      decision: 'drop',
    })
    expect(event!.issues![0]).toEqual({
      code: 'invalid_type',
      path: [],
      message: expect.any(String),
    })
    // No stored value in the event: the issues do not carry their input.
    expect(JSON.stringify(event)).not.toContain('apple')
  })

  it('tells the decision of an onInvalid that throws', async () => {
    const store = new MemoryStore()
    const cookie = await storedCart(store)
    const strict = defineSession(cartV2.schema, { onInvalid: 'throw' })
    const { app, log } = cartApp(strict, store)
    app.onError((error, c) => c.text(error.message, 500))
    const response = await app.request('/cart', { headers: { cookie: `id=${cookie}` } })
    expect(response.status).toBe(500)
    expect(log.of('invalid')).toEqual([
      expect.objectContaining({ reason: 'value', key: 'cart', decision: 'throw' }),
    ])
  })

  it('tells a record the store cannot decode as reason record', async () => {
    const store = new MemoryStore()
    const cookie = await storedCart(store)
    await rewriteRecordOfCookie(store, cookie, { data: [] as unknown as JsonObject })
    const { app, log } = cartApp(cartV1, store)
    const response = await app.request('/cart', { headers: { cookie: `id=${cookie}` } })
    expect(response.status).toBe(200)
    expect(log.of('invalid')).toEqual([
      expect.objectContaining({
        recordKey: recordKeyOf(idOfCookie(cookie)),
        reason: 'record',
        decision: 'drop',
      }),
    ])
    expect(log.of('expired')).toEqual([])
  })

  it('tells a record whose migration fails as reason migration', async () => {
    const store = new MemoryStore()
    const cookie = await storedCart(store)
    const migrated = defineSession(
      versioned(z.object({ cart: z.array(z.number()) })).migrate(
        z.object({ cart: z.array(z.number()) }),
        (v1) => v1
      )
    )
    const { app, log } = cartApp(migrated, store)
    await app.request('/cart', { headers: { cookie: `id=${cookie}` } })
    expect(log.of('invalid')).toEqual([
      expect.objectContaining({
        recordKey: recordKeyOf(idOfCookie(cookie)),
        reason: 'migration',
        decision: 'drop',
        issues: expect.arrayContaining([expect.objectContaining({ path: ['cart', 0] })]),
      }),
    ])
  })

  it('tells a record written by a newer version of the app as reason newer-version', async () => {
    const store = new MemoryStore()
    const cookie = await storedCart(store)
    await rewriteRecordOfCookie(store, cookie, { schemaVersion: 5 })
    const { app, log } = cartApp(cartV1, store)
    await app.request('/cart', { headers: { cookie: `id=${cookie}` } })
    expect(log.of('invalid')).toEqual([
      expect.objectContaining({ reason: 'newer-version', decision: 'drop' }),
    ])
  })
})

import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, isSessionError, MemoryStore } from 'typed-sessions'
import type { OnInvalid } from 'typed-sessions'
import { CookieJar, sessionApp, sessionCookie, setCookies } from '../helpers/http.js'
import { recordOfCookie, rewriteRecordOfCookie, TestStore } from '../helpers/stores.js'

// DESIGN.md §3 (the invalid-data policy) and §4 (every read and write checked against the schema;
// a value JSON cannot carry is refused or carried by a codec, never silently changed).

const profileSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    name: z.string().min(1).optional(),
    anything: z.unknown(),
    lastSeen: z
      .codec(z.iso.datetime(), z.date(), {
        decode: (text) => new Date(text),
        encode: (date) => date.toISOString(),
      })
      .optional(),
  })
)

function typedApp(store: MemoryStore | TestStore = new MemoryStore()) {
  const app = sessionApp(profileSession, { store })
  app.onError((error, c) => {
    if (isSessionError(error)) return c.json({ code: error.code, message: error.message }, 400)
    return c.json({ code: 'OTHER', message: String(error) }, 500)
  })
  app.post('/name/:name', async (c) => {
    await c.var.session.set('name', c.req.param('name'))
    return c.text('ok')
  })
  app.post('/wrong-type', async (c) => {
    await c.var.session.set('counter', 'seven' as never)
    return c.text('should not get here')
  })
  app.post('/not-an-integer', async (c) => {
    await c.var.session.set('counter', 1.5)
    return c.text('should not get here')
  })
  app.post('/empty-name', async (c) => {
    await c.var.session.set('name', '')
    return c.text('should not get here')
  })
  app.post('/date-in-unknown', async (c) => {
    await c.var.session.set('anything', new Date())
    return c.text('should not get here')
  })
  app.post('/map-in-unknown', async (c) => {
    await c.var.session.set('anything', { nested: new Map([['a', 1]]) })
    return c.text('should not get here')
  })
  app.post('/bigint-in-unknown', async (c) => {
    await c.var.session.set('anything', 10n)
    return c.text('should not get here')
  })
  app.post('/seen/:iso', async (c) => {
    await c.var.session.set('lastSeen', new Date(c.req.param('iso')))
    return c.text('ok')
  })
  app.get('/seen', async (c) => {
    const seen = await c.var.session.get('lastSeen')
    return c.json({ isDate: seen instanceof Date, time: seen?.getTime() ?? null })
  })
  app.get('/profile', async (c) => {
    const session = c.var.session
    return c.json({
      counter: await session.get('counter'),
      name: (await session.get('name')) ?? null,
    })
  })
  return app
}

async function errorOf(response: Response) {
  expect(response.status).toBe(400)
  return (await response.json()) as { code: string; message: string }
}

describe('set with a value that does not fit the schema', () => {
  it('throws INVALID_VALUE naming the key, and changes nothing', async () => {
    const store = new MemoryStore()
    const jar = new CookieJar(typedApp(store))
    await jar.fetch('/name/ada', { method: 'POST' })
    const value = jar.cookies.get('id')!
    const response = await jar.fetch('/wrong-type', { method: 'POST' })
    const error = await errorOf(response)
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toContain('"counter"')
    expect(setCookies(response)).toEqual([])
    const record = await recordOfCookie(store, value)
    expect(record?.data).toEqual({ name: 'ada' })
    expect(record?.version).toBe(0)
    expect(await (await jar.fetch('/profile')).json()).toEqual({ counter: 0, name: 'ada' })
  })

  it('checks refinements too (an integer key given 1.5)', async () => {
    const error = await errorOf(await typedApp().request('/not-an-integer', { method: 'POST' }))
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toContain('"counter"')
  })

  it('checks string constraints (an empty name)', async () => {
    const store = new TestStore()
    const response = await typedApp(store).request('/empty-name', { method: 'POST' })
    expect((await errorOf(response)).message).toContain('"name"')
    expect(setCookies(response)).toEqual([])
    expect(store.inner.size).toBe(0)
  })
})

describe('values JSON cannot carry as-is', () => {
  it('a Date in a z.unknown() key is refused with a message that says what to do', async () => {
    const store = new TestStore()
    const response = await typedApp(store).request('/date-in-unknown', { method: 'POST' })
    const error = await errorOf(response)
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toContain('Date')
    expect(error.message).toContain('"anything"')
    expect(error.message).toMatch(/codec|ISO string/)
    expect(setCookies(response)).toEqual([])
    expect(store.inner.size).toBe(0)
  })

  it('a Map nested in a z.unknown() key is refused, naming the path', async () => {
    const error = await errorOf(await typedApp().request('/map-in-unknown', { method: 'POST' }))
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toContain('Map')
    expect(error.message).toContain('anything.nested')
  })

  it('a bigint in a z.unknown() key is refused', async () => {
    const error = await errorOf(await typedApp().request('/bigint-in-unknown', { method: 'POST' }))
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toContain('bigint')
  })

  it('a Zod codec key round-trips a Date across requests', async () => {
    const store = new MemoryStore()
    const jar = new CookieJar(typedApp(store))
    const iso = '2024-05-06T07:08:09.123Z'
    const write = await jar.fetch(`/seen/${iso}`, { method: 'POST' })
    expect(write.status).toBe(200)
    const record = await recordOfCookie(store, jar.cookies.get('id')!)
    expect(record?.data).toEqual({ lastSeen: iso })
    expect(await (await jar.fetch('/seen')).json()).toEqual({
      isDate: true,
      time: Date.parse(iso),
    })
  })
})

/** A record whose `counter` no longer fits the schema (a string), next to a valid `name`. */
async function staleSession(onInvalid?: OnInvalid) {
  const store = new TestStore()
  const writer = typedApp(store)
  const value = sessionCookie(await writer.request('/name/ada', { method: 'POST' }))!.value
  await rewriteRecordOfCookie(store, value, { data: { counter: 'seven', name: 'ada' } })
  const definition = defineSession(
    profileSession.schema,
    onInvalid === undefined ? {} : { onInvalid }
  )
  const app = sessionApp(definition, { store })
  app.onError((error, c) =>
    c.json({ code: isSessionError(error) ? error.code : 'OTHER', message: error.message }, 500)
  )
  app.get('/counter', async (c) => c.json({ counter: await c.var.session.get('counter') }))
  app.get('/has-counter', async (c) => c.json({ has: await c.var.session.has('counter') }))
  app.get('/name', async (c) => c.json({ name: (await c.var.session.get('name')) ?? null }))
  store.resetCounts()
  return { app, store, value }
}

describe('a stored value that fails its schema', () => {
  it('reads as absent (its default) by default', async () => {
    const { app, value } = await staleSession()
    const response = await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ counter: 0 })
  })

  it('is removed from the record at the next save, the other keys kept', async () => {
    const { app, store, value } = await staleSession()
    await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(store.calls.save).toBe(1)
    expect((await recordOfCookie(store, value))?.data).toEqual({ name: 'ada' })
  })

  it('is not removed by a request that never reads it', async () => {
    const { app, store, value } = await staleSession()
    const response = await app.request('/name', { headers: { Cookie: `id=${value}` } })
    expect(await response.json()).toEqual({ name: 'ada' })
    expect((await recordOfCookie(store, value))?.data).toEqual({ counter: 'seven', name: 'ada' })
  })

  it('makes has() answer false', async () => {
    const { app, value } = await staleSession()
    const response = await app.request('/has-counter', { headers: { Cookie: `id=${value}` } })
    expect(await response.json()).toEqual({ has: false })
  })

  it("with onInvalid: 'throw' gives INVALID_STORED_DATA naming the key, and keeps the record", async () => {
    const { app, store, value } = await staleSession('throw')
    const response = await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(response.status).toBe(500)
    const error = (await response.json()) as { code: string; message: string }
    expect(error.code).toBe('INVALID_STORED_DATA')
    expect(error.message).toContain('"counter"')
    expect(setCookies(response)).toEqual([])
    expect((await recordOfCookie(store, value))?.data).toEqual({ counter: 'seven', name: 'ada' })
  })

  it('with an onInvalid function, is told the key and the issues', async () => {
    const seen: string[] = []
    const { app, value } = await staleSession(({ key, issues }) => {
      seen.push(`${key}:${issues[0]?.code}`)
      return 'drop'
    })
    const response = await app.request('/counter', { headers: { Cookie: `id=${value}` } })
    expect(await response.json()).toEqual({ counter: 0 })
    expect(seen).toEqual(['counter:invalid_type'])
  })

  it('written through an app with a looser schema reads as absent under a stricter one', async () => {
    const store = new MemoryStore()
    const loose = sessionApp(defineSession(z.object({ name: z.string(), role: z.string() })), {
      store,
    })
    loose.post('/write', async (c) => {
      await c.var.session.set('name', '')
      await c.var.session.set('role', 'admin')
      return c.text('ok')
    })
    const value = sessionCookie(await loose.request('/write', { method: 'POST' }))!.value
    const strict = sessionApp(
      defineSession(z.object({ name: z.string().min(1).optional(), role: z.string() })),
      { store }
    )
    strict.get('/name', async (c) => c.json({ name: (await c.var.session.get('name')) ?? null }))
    const response = await strict.request('/name', { headers: { Cookie: `id=${value}` } })
    expect(await response.json()).toEqual({ name: null })
    expect((await recordOfCookie(store, value))?.data).toEqual({ role: 'admin' })
  })
})

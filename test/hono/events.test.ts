import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineSession, recordKeyOf } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { configErrorOf } from '../helpers/config-errors.js'
import { EventLog } from '../helpers/events.js'
import { CookieJar, SECRET, sessionApp } from '../helpers/http.js'
import { idOfCookie, TestStore } from '../helpers/stores.js'

// DESIGN.md §13: the lifecycle events of a session, as a Hono app's handlers hear them.

const definition = defineSession(
  z.object({ counter: z.number().int().default(0), user: z.string().optional() })
)

function eventApp(options: Partial<SessionMiddlewareOptions> = {}) {
  const log = new EventLog()
  const store = new TestStore()
  const app = sessionApp(definition, { store, on: log.on, ...options })
  app.get('/untouched', (c) => c.text('plain'))
  app.get('/read', async (c) => c.text(String(await c.var.session.get('counter'))))
  app.post('/increment', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return c.text('ok')
  })
  app.post('/login', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('user', 'ada')
    return c.text('in')
  })
  app.post('/logout', async (c) => {
    await c.var.session.flush()
    return c.text('out')
  })
  return { app, log, store, jar: new CookieJar(app) }
}

/** The record key of the session a jar holds. */
function recordKeyIn(jar: CookieJar): string {
  return recordKeyOf(idOfCookie(jar.cookies.get('id')!))
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the lifecycle events', () => {
  it('a first write creates a record: created, then saved at version 0, with its size', async () => {
    const { log, jar } = eventApp()
    await jar.fetch('/increment', { method: 'POST' })
    expect(log.types).toEqual(['created', 'saved'])
    const recordKey = recordKeyIn(jar)
    const bytes = JSON.stringify({ counter: 1 }).length
    expect(log.of('created')[0]).toMatchObject({ recordKey, bytes, cycled: false })
    const saved = log.of('saved')[0]!
    expect(saved).toMatchObject({ recordKey, version: 0, attempts: 1, bytes })
    expect(saved.durationMs).toBeGreaterThanOrEqual(0)
    expect(Math.abs(saved.at - Date.now())).toBeLessThan(5_000)
  })

  it('a returning visitor is loaded, then saved at the next version', async () => {
    const { log, jar } = eventApp()
    await jar.fetch('/increment', { method: 'POST' })
    log.clear()
    await jar.fetch('/increment', { method: 'POST' })
    expect(log.types).toEqual(['loaded', 'saved'])
    const recordKey = recordKeyIn(jar)
    expect(log.of('loaded')[0]).toMatchObject({ recordKey, version: 0, schemaVersion: 1 })
    expect(log.of('saved')[0]).toMatchObject({ recordKey, version: 1, attempts: 1 })
  })

  it('a read is only loaded, and a route that never touches the session tells nothing', async () => {
    const { log, jar } = eventApp()
    await jar.fetch('/increment', { method: 'POST' })
    log.clear()
    await jar.fetch('/read')
    expect(log.types).toEqual(['loaded'])
    await jar.fetch('/untouched')
    expect(log.types).toEqual(['loaded'])
  })

  it('cycleId creates the new record, tells the move from the old key, and saves', async () => {
    const { log, jar } = eventApp()
    await jar.fetch('/increment', { method: 'POST' })
    const before = recordKeyIn(jar)
    log.clear()
    await jar.fetch('/login', { method: 'POST' })
    const after = recordKeyIn(jar)
    expect(after).not.toBe(before)
    expect(log.types).toEqual(['loaded', 'created', 'cycled', 'saved'])
    expect(log.of('created')[0]).toMatchObject({ recordKey: after, cycled: true })
    expect(log.of('cycled')[0]).toMatchObject({ recordKey: after, previousRecordKey: before })
    expect(log.of('saved')[0]).toMatchObject({ recordKey: after, version: 0 })
  })

  it('a logout tells flushed with the ended record key; one with nothing stored tells nothing', async () => {
    const { log, jar } = eventApp()
    await jar.fetch('/increment', { method: 'POST' })
    const recordKey = recordKeyIn(jar)
    log.clear()
    await jar.fetch('/logout', { method: 'POST' })
    expect(log.of('flushed')).toEqual([
      { type: 'flushed', recordKey, at: expect.any(Number), reason: 'logout' },
    ])
    log.clear()
    await jar.fetch('/logout', { method: 'POST' })
    expect(log.types).toEqual([])
  })

  it('no event carries the session id, the cookie value or the secret', async () => {
    const { log, jar } = eventApp()
    await jar.fetch('/increment', { method: 'POST' })
    const cookies = [jar.cookies.get('id')!]
    await jar.fetch('/login', { method: 'POST' })
    cookies.push(jar.cookies.get('id')!)
    await jar.fetch('/logout', { method: 'POST' })
    const text = JSON.stringify(log.events)
    for (const cookie of cookies) {
      expect(text).not.toContain(idOfCookie(cookie))
      expect(text).not.toContain(cookie.slice(cookie.indexOf('.') + 1))
    }
    expect(text).not.toContain(SECRET)
    expect(log.types).toContain('flushed')
  })
})

describe('a handler that throws', () => {
  it('is reported once, naming the event, and never breaks the request', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const saved = vi.fn(() => {
      throw new Error('metrics backend down')
    })
    const { app, jar, store } = eventApp({ on: { saved } })
    for (let i = 0; i < 3; i++) {
      expect((await jar.fetch('/increment', { method: 'POST' })).status).toBe(200)
    }
    expect(saved).toHaveBeenCalledTimes(3)
    expect(error).toHaveBeenCalledTimes(1)
    expect(String(error.mock.calls[0]![0])).toMatch(/"saved" event handler threw/)
    expect(await new CookieJar(app).text('/read')).toBe('0')
    expect(await jar.text('/read')).toBe('3')
    expect(store.calls.save).toBe(2)
  })

  it('that returns a rejected promise is reported once too', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const loaded = async () => {
      throw new Error('async handler failed')
    }
    const { jar } = eventApp({ on: { loaded } })
    await jar.fetch('/increment', { method: 'POST' })
    for (let i = 0; i < 2; i++) expect(await jar.text('/read')).toBe('1')
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(1))
    expect(String(error.mock.calls[0]![0])).toMatch(/"loaded" event handler threw/)
  })
})

describe('the on option', () => {
  it.each<[string, unknown, RegExp]>([
    [
      'a misspelled event',
      { save: () => {} },
      /on\.save is not a session event.*Did you mean saved\?/,
    ],
    ['a handler that is not a function', { saved: 'log' }, /on\.saved is a function/],
    ['not an object', () => {}, /on is an object of event handlers/],
  ])('refuses %s with CONFIG', (_case, on, message) => {
    const options = { secret: SECRET, on } as unknown as Partial<SessionMiddlewareOptions>
    expect(configErrorOf(() => sessionApp(definition, options)).message).toMatch(message)
  })
})

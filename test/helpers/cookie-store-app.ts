import { z } from 'zod'
import { CookieStore, defineSession, isSessionError, type CookieStoreOptions } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { RecordSealer } from '../../src/cookie/sealed-record.js'
import { SECRET, sessionApp } from './http.js'

/** The session of the cookie-store tests: a counter, a user, and a note of any length. */
export const cookieSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    user: z.string().optional(),
    note: z.string().optional(),
  })
)

/**
 * An app whose sessions live in the cookie (`store: new CookieStore(storeOptions)`), with the
 * routes the tests drive: `/` counts, `/peek` reads, `/login/:user` cycles the id, `/logout`
 * flushes, `/note` keeps the request body, `/note-saved` does so with an explicit save and
 * answers 413 (keeping nothing) when the cookie would be too large. A `SessionError` that
 * escapes is answered with its code and status 500.
 */
export function cookieStoreApp(
  options: Partial<SessionMiddlewareOptions> = {},
  storeOptions: CookieStoreOptions = {}
) {
  const app = sessionApp(cookieSession, { store: new CookieStore(storeOptions), ...options })
  app.get('/', async (c) => {
    const n = await c.var.session.get('counter')
    await c.var.session.set('counter', n + 1)
    return c.text(String(n))
  })
  app.get('/peek', async (c) => {
    const user = (await c.var.session.get('user')) ?? '-'
    return c.text(`${await c.var.session.get('counter')} ${user}`)
  })
  app.post('/login/:user', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('user', c.req.param('user'))
    return c.text('in')
  })
  app.post('/logout', async (c) => {
    await c.var.session.flush()
    return c.text('out')
  })
  app.post('/note', async (c) => {
    await c.var.session.set('note', await c.req.text())
    return c.text('noted')
  })
  app.post('/note-saved', async (c) => {
    await c.var.session.set('note', await c.req.text())
    try {
      await c.var.session.save()
      return c.text('noted')
    } catch (error) {
      if (!isSessionError(error) || error.code !== 'COOKIE_TOO_LARGE') throw error
      await c.var.session.delete('note')
      return c.text(error.message, 413)
    }
  })
  app.onError((error, c) => c.text(isSessionError(error) ? error.code : String(error), 500))
  return app
}

/** The record a cookie value carries, opened with `secret` as the app with cookie `name` does. */
export function openCookie(value: string, secret: string | string[] = SECRET, name = 'id') {
  return new RecordSealer(secret, name).open(value)?.record
}

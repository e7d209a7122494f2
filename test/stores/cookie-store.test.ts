import { describe, expect, it } from 'vitest'
import { CookieStore, Session, isSessionError, migrateStore } from 'typed-sessions'
import { sessionMiddleware } from 'typed-sessions/hono'
import { cookieSession } from '../helpers/cookie-store-app.js'
import { makeRecord } from '../helpers/store-conformance.js'

// The CookieStore is not a keyed store: the record lives in the cookie, sealed and opened by the
// middleware. Used anywhere else it says so, and its options are checked when it is built.
// It does not run the store conformance suite (README, "Sessions in the cookie").

/** The SessionError `run` throws or rejects with. */
async function sessionErrorOf(run: () => unknown) {
  try {
    await run()
  } catch (error) {
    if (isSessionError(error)) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error('expected a SessionError')
}

describe('the CookieStore', () => {
  it('refuses every store call outside the middleware with UNSUPPORTED', async () => {
    const store = new CookieStore()
    const record = makeRecord('key')
    for (const call of [
      () => store.create(record),
      () => store.load('key'),
      () => store.save(record, 0),
      () => store.delete('key'),
    ]) {
      const error = await sessionErrorOf(call)
      expect(error.code).toBe('UNSUPPORTED')
      expect(error.message).toContain('only works through sessionMiddleware')
    }
  })

  it('makes a Session used directly on it fail with UNSUPPORTED, not a store outage', async () => {
    const session = new Session({ store: new CookieStore() }, 'AAAAAAAAAAAAAAAAAAAAAA')
    expect((await sessionErrorOf(() => session.get('x'))).code).toBe('UNSUPPORTED')
  })

  it('cannot be migrated in bulk: there is nothing on the server to scan', async () => {
    const error = await sessionErrorOf(() => migrateStore(cookieSession, new CookieStore()))
    expect(error).toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/upgrade lazily/),
    })
  })

  it('takes a maxCookieSize from 1 to 4096 bytes', () => {
    expect(new CookieStore().maxCookieSize).toBe(4096)
    expect(new CookieStore({ maxCookieSize: 2048 }).maxCookieSize).toBe(2048)
    for (const maxCookieSize of [0, 4097, 1.5, Number.NaN]) {
      expect(() => new CookieStore({ maxCookieSize })).toThrow(
        /maxCookieSize is a number of bytes from 1 to 4096/
      )
    }
  })

  it('needs a secret of at least 32 characters in the middleware', () => {
    expect(() =>
      sessionMiddleware(cookieSession, { secret: 'too short', store: new CookieStore() })
    ).toThrow(/at least 32 characters/)
  })
})

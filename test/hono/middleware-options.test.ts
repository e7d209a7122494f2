import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CookieStore, defineSession, Expiry, MemoryStore } from 'typed-sessions'
import { sessionMiddleware, type SessionMiddlewareOptions } from 'typed-sessions/hono'
import { configErrorOf } from '../helpers/config-errors.js'
import { SECRET } from '../helpers/http.js'

// Issue 15, item 8: JavaScript callers and casts get no help from the types, so every option of
// sessionMiddleware is checked when the middleware is created; a wrong one is CONFIG with a
// message that says what to pass, instead of an app that starts and then misbehaves.

const definition = defineSession(z.object({ counter: z.number().int().default(0) }))

/** Creates the middleware with `options` (and the test secret), as a JavaScript caller could. */
function create(options: Record<string, unknown>) {
  return sessionMiddleware(definition, { secret: SECRET, ...options } as SessionMiddlewareOptions)
}

const redisLikeClient = { get: async () => null, set: async () => 'OK', del: async () => 1 }

describe('a wrong option is CONFIG, with what to pass', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    // expiry
    ['expiry as seconds (the maxAge habit)', { expiry: 3600 }, /use Expiry\.onInactivity\(3600\)/],
    ['expiry as milliseconds', { expiry: 3_600_000 }, /onInactivity\(3600000\).*not milliseconds/],
    ['expiry as a negative number', { expiry: -1 }, /use Expiry\.onInactivity\(seconds\)/],
    ['expiry as a string', { expiry: '1h' }, /made by Expiry\.onInactivity\(seconds\).*"1h"/],
    ['expiry as a Date', { expiry: new Date() }, /not a Date: use Expiry\.atDate\(date\)/],
    ['expiry as the uncalled builder', { expiry: Expiry.onInactivity }, /call the builder/],
    ['expiry of an unknown shape', { expiry: { seconds: 3600 } }, /made by Expiry/],
    ['expiry with negative seconds', { expiry: { kind: 'onInactivity', seconds: -1 } }, /made by/],
    ['expiry null', { expiry: null }, /made by Expiry.*got null/],
    // cookie
    ['cookie as a string', { cookie: 'bogus' }, /cookie is an object .*got the string "bogus"/],
    ['cookie null', { cookie: null }, /cookie is an object .*got null/],
    ['cookie as an array', { cookie: [] }, /cookie is an object .*got an array/],
    [
      'cookie.maxAge',
      { cookie: { maxAge: 3_600_000 } },
      /cookie\.maxAge .*onInactivity\(seconds\)/,
    ],
    ['a misspelled cookie field', { cookie: { secrue: true } }, /Did you mean secure\?/],
    ['cookie.name null', { cookie: { name: null } }, /cookie\.name null is not a valid/],
    ['cookie.sameSite true', { cookie: { sameSite: true } }, /cookie\.sameSite true is not valid/],
    ['cookie.sameSite null', { cookie: { sameSite: null } }, /cookie\.sameSite null/],
    ['cookie.secure as a string', { cookie: { secure: 'true' } }, /cookie\.secure must be true/],
    ['cookie.httpOnly as a number', { cookie: { httpOnly: 1 } }, /cookie\.httpOnly must be true/],
    ['cookie.domain null', { cookie: { domain: null } }, /cookie\.domain null .*leave it out/],
    // store
    [
      'store as the class',
      { store: MemoryStore },
      /pass an instance, e\.g\. store: new MemoryStore/,
    ],
    ['store as a plain object', { store: {} }, /no create, load, save or delete method/],
    [
      'store as a database client',
      { store: redisLikeClient },
      /new RedisStore\(client\).*not the client/,
    ],
    ['store null', { store: null }, /store must be a SessionStore .*got null/],
    ['store as a string', { store: 'memory' }, /store must be a SessionStore .*"memory"/],
    // booleans and numbers
    [
      'alwaysSave as a string',
      { alwaysSave: 'false' },
      /alwaysSave must be true or false, got the/,
    ],
    ['alwaysSave as a number', { alwaysSave: 1 }, /alwaysSave must be true or false, got 1/],
    [
      'touchAfter as a string',
      { touchAfter: '60' },
      /touchAfter is a number of seconds > 0, got the/,
    ],
    ['absoluteTimeout below 0', { absoluteTimeout: -1 }, /absoluteTimeout .*Infinity for no limit/],
    ['storeTimeout past what a timer waits', { storeTimeout: 2 ** 31 }, /at most 2147483647/],
    ['storeTimeout as a string', { storeTimeout: '5000' }, /storeTimeout .*"5000"/],
    ['conflictTimeout null', { conflictTimeout: null }, /conflictTimeout .*got null/],
    ['maxSize as a string', { maxSize: '1mb' }, /maxSize is a number of bytes/],
    ['contextKey null', { contextKey: null }, /contextKey is the c\.var key/],
    ['contextKey as a number', { contextKey: 5 }, /contextKey is the c\.var key/],
    // names
    [
      'maxAge (express-session)',
      { maxAge: 3600 },
      /maxAge is not .*Expiry\.onInactivity\(seconds\)/,
    ],
    ['a misspelled option', { absoluteTimout: 900 }, /Did you mean absoluteTimeout\?/],
    ['an option in the wrong case', { alwayssave: true }, /Did you mean alwaysSave\?/],
    ['name (express-session)', { name: 'sid' }, /cookie: \{ name \}/],
    ['rolling (express-session)', { rolling: true }, /alwaysSave: true or touchAfter/],
    ['an unknown option', { foo: 1 }, /foo is not an option .*The options are secret, store,/],
  ])('%s', (_case, options, message) => {
    expect(configErrorOf(() => create(options)).message).toMatch(message)
  })
})

it('checks a value the options object inherits, as the middleware would read it', () => {
  const options = Object.assign(Object.create({ expiry: 3600 }) as object, { secret: SECRET })
  const error = configErrorOf(() => sessionMiddleware(definition, options))
  expect(error.message).toMatch(/Expiry\.onInactivity\(3600\)/)
})

describe('right options are accepted', () => {
  it.each<[string, Record<string, unknown>]>([
    ['no options but the secret', {}],
    [
      'every option',
      {
        store: new MemoryStore(),
        cookie: {
          name: '__Host-id',
          path: '/',
          secure: true,
          httpOnly: true,
          sameSite: 'strict',
          partitioned: false,
        },
        expiry: Expiry.onInactivity(3600),
        absoluteTimeout: 86_400,
        alwaysSave: false,
        touchAfter: 60,
        contextKey: 'session',
        storeTimeout: 2 ** 31 - 1,
        conflictTimeout: 1000,
        maxSize: 4096,
      },
    ],
    [
      'undefined values, read as left out',
      { store: undefined, cookie: undefined, expiry: undefined, alwaysSave: undefined },
    ],
    ['each Expiry builder', { expiry: Expiry.onSessionEnd() }],
    ['Expiry.atDate', { expiry: Expiry.atDate(new Date('2030-01-01')) }],
    ['absoluteTimeout: Infinity', { absoluteTimeout: Infinity }],
    ['a CookieStore', { store: new CookieStore() }],
    [
      'a store object of the four methods',
      { store: { create() {}, load() {}, save() {}, delete() {} } },
    ],
  ])('%s', (_case, options) => {
    expect(typeof create(options)).toBe('function')
  })
})

import { Hono } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineSession, flash, versioned, type TypedSession } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'

// Issue 11: the types a new user leans on in the first hour.

const shop = z.object({
  cart: z.array(z.object({ sku: z.string(), qty: z.number() })).default([]),
  prefs: z.object({ theme: z.enum(['light', 'dark']), size: z.number() }).optional(),
  payload: z.unknown().optional(),
  retries: z.number().catch(0),
  notices: flash(z.string()),
})
declare const session: TypedSession<typeof shop>

describe('reads are read-only', () => {
  it('does not compile a mutation of a value read from the session', async () => {
    const cart = await session.get('cart')
    // @ts-expect-error: a read is read-only; change it with update()
    cart.push({ sku: 'a', qty: 1 })
    // @ts-expect-error: nested values too
    cart[0]!.qty = 2
    void session.update('cart', (items) => [...items, { sku: 'a', qty: 1 }])
  })
})

describe('update is typed for its own key only', () => {
  it('keeps literal types even with a z.unknown() key in the schema', () => {
    void session.update('prefs', (prefs) => ({ ...prefs!, theme: 'dark' }))
    // @ts-expect-error: 'blue' is not a theme
    void session.update('prefs', (prefs) => ({ ...prefs!, theme: 'blue' }))
  })
})

describe('a key with .catch()', () => {
  it('reads as present: the fallback stands in for an absent value', () => {
    expectTypeOf(session.get('retries')).resolves.toEqualTypeOf<number>()
  })
})

describe('flash keys', () => {
  it('append messages of their element type and only to list keys', () => {
    void session.flash('notices', 'Saved')
    // @ts-expect-error: a notice is a string
    void session.flash('notices', 42)
    // @ts-expect-error: prefs is not a list
    void session.flash('prefs', 'x')
    expectTypeOf(session.consumeFlash('notices')).resolves.toEqualTypeOf<readonly string[]>()
  })
})

describe('keys and snapshots', () => {
  it('types keys() and toObject() from the schema', () => {
    expectTypeOf(session.keys()).resolves.toEqualTypeOf<
      ('cart' | 'prefs' | 'payload' | 'retries' | 'notices')[]
    >()
    expectTypeOf(session.toObject()).resolves.toHaveProperty('cart')
  })
})

describe('definition-time checks', () => {
  it('does not compile a schema whose values JSON cannot store', () => {
    // @ts-expect-error: a z.date() needs a codec
    defineSession(z.object({ at: z.date() }))
    // @ts-expect-error: a z.bigint() needs a codec
    defineSession(z.object({ big: z.bigint() }))
    defineSession(
      z.object({
        at: z.codec(z.iso.datetime(), z.date(), {
          decode: (text) => new Date(text),
          encode: (date) => date.toISOString(),
        }),
        anything: z.unknown(),
      })
    )
  })
})

describe('migration steps', () => {
  const v1 = z.object({ admin: z.boolean() })
  const v2 = z.object({ role: z.enum(['admin', 'customer']), tags: z.array(z.enum(['x', 'y'])) })

  it('infer literals from the next schema in the two-step form, without as const', () => {
    versioned(v1)
      .migrate(v2)
      .up((v) => ({ role: v.admin ? 'admin' : 'customer', tags: ['x'] }))
    const step = versioned(v1).migrate(v2)
    // @ts-expect-error: 'guest' is not a role
    step.up(() => ({ role: 'guest', tags: [] }))
  })
})

describe('the middleware', () => {
  it('puts a session on its contextKey, typed', () => {
    const admin = defineSession(z.object({ operator: z.string().optional() }))
    const visitor = defineSession(z.object({ counter: z.number().default(0) }))
    const app = new Hono<SessionEnv<typeof visitor> & SessionEnv<typeof admin, 'admin'>>()
    app.use(sessionMiddleware(visitor, { secret: 'x'.repeat(32) }))
    app.use(sessionMiddleware(admin, { secret: 'x'.repeat(32), contextKey: 'admin' }))
    app.get('/', async (c) => {
      expectTypeOf(c.var.admin.get('operator')).resolves.toEqualTypeOf<string | undefined>()
      expectTypeOf(c.var.session.get('counter')).resolves.toEqualTypeOf<number>()
      return c.text('ok')
    })
  })

  it('accepts a plain z.object as well as a definition', () => {
    const app = new Hono().use(sessionMiddleware(shop, { secret: 'x'.repeat(32) }))
    app.get('/', async (c) => {
      expectTypeOf(c.var.session.get('retries')).resolves.toEqualTypeOf<number>()
      return c.text('ok')
    })
  })
})

import { Hono } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineSession, versioned, type TypedSession } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'

const appSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    name: z.string(),
    user: z.object({ id: z.string() }).optional(),
    seenAt: z.codec(z.iso.datetime(), z.date(), {
      decode: (text) => new Date(text),
      encode: (date) => date.toISOString(),
    }),
  })
)
declare const session: TypedSession<typeof appSession.schema>

describe('the typed session', () => {
  it('reads a key with a default as present', () => {
    expectTypeOf(session.get('counter')).resolves.toEqualTypeOf<number>()
  })

  it('reads a required key without a default as maybe absent', () => {
    expectTypeOf(session.get('name')).resolves.toEqualTypeOf<string | undefined>()
    // @ts-expect-error: a maybe-absent key cannot be read as present
    const name: Promise<string> = session.get('name')
    void name
  })

  it('reads an optional key as maybe absent', () => {
    expectTypeOf(session.get('user')).resolves.toEqualTypeOf<{ readonly id: string } | undefined>()
  })

  it('reads and writes a codec key in its decoded type', () => {
    expectTypeOf(session.get('seenAt')).resolves.toEqualTypeOf<Date | undefined>()
    expectTypeOf(session.set<'seenAt'>)
      .parameter(1)
      .toEqualTypeOf<Date>()
  })

  it('refuses a key the schema does not have', () => {
    // @ts-expect-error: 'count' is not a key of the schema
    void session.get('count')
    // @ts-expect-error: 'count' is not a key of the schema
    void session.set('count', 1)
    // @ts-expect-error: 'count' is not a key of the schema
    void session.delete('count')
  })

  it('refuses a value of the wrong type', () => {
    // @ts-expect-error: counter is a number
    void session.set('counter', '1')
    // @ts-expect-error: user.id is a string
    void session.set('user', { id: 1 })
    // @ts-expect-error: update must return the key's type
    void session.update('counter', (n) => String(n))
  })

  it('types update from the current value to the new one', () => {
    void session.update('counter', (n) => {
      expectTypeOf(n).toEqualTypeOf<number>()
      return n + 1
    })
    expectTypeOf(session.update('counter', (n) => n + 1)).resolves.toEqualTypeOf<number>()
  })
})

describe('the Hono middleware', () => {
  it('types c.var.session from the definition with no annotation', () => {
    const app = new Hono<SessionEnv<typeof appSession>>()
    app.use(sessionMiddleware(appSession, { secret: 'x'.repeat(32) }))
    app.get('/', async (c) => {
      expectTypeOf(c.var.session.get('counter')).resolves.toEqualTypeOf<number>()
      // @ts-expect-error: not a key of the schema
      void c.var.session.get('nope')
      return c.text('ok')
    })
  })

  it('refuses options without a secret', () => {
    // @ts-expect-error: secret is required
    sessionMiddleware(appSession, {})
  })
})

describe('versioned schemas', () => {
  const v1 = z.object({ count: z.number() })
  const v2 = z.object({ counter: z.number(), theme: z.enum(['light', 'dark']).default('light') })

  it('types each step from the previous output to the next input', () => {
    versioned(v1).migrate(v2, (previous) => {
      expectTypeOf(previous).toEqualTypeOf<{ count: number }>()
      return { counter: previous.count } // theme may be left out: it has a default
    })
  })

  it('refuses a step that returns the wrong shape', () => {
    // @ts-expect-error: counter must be a number
    versioned(v1).migrate(v2, (previous) => ({ counter: String(previous.count) }))
    // @ts-expect-error: counter is missing
    versioned(v1).migrate(v2, () => ({ theme: 'dark' as const }))
  })

  it('refuses a step that reads a field the previous schema does not have', () => {
    // @ts-expect-error: version 1 has no `counter`
    versioned(v1).migrate(v2, (previous) => ({ counter: previous.counter }))
  })

  it('types the definition and the session from the last schema', () => {
    const definition = defineSession(
      versioned(v1).migrate(v2, (previous) => ({ counter: previous.count }))
    )
    expectTypeOf(definition.schema).toEqualTypeOf<typeof v2>()
    const app = new Hono<SessionEnv<typeof definition>>()
    app.get('/', async (c) => {
      expectTypeOf(c.var.session.get('theme')).resolves.toEqualTypeOf<'light' | 'dark'>()
      // @ts-expect-error: `count` was renamed in version 2
      void c.var.session.get('count')
      return c.text('ok')
    })
  })
})

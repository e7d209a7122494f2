import { Hono } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type { $ZodType } from 'zod/v4/core'
import { defineSession, sensitive, type SchemaOf, type TypedSession } from 'typed-sessions'
import {
  createAuth,
  createCsrf,
  csrfSecret,
  safeRedirect,
  type AuthFailure,
  type CsrfFailure,
} from 'typed-sessions/auth'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'

const appSession = defineSession(
  z.object({
    counter: z.number().default(0),
    user: z.object({ id: z.number(), authHash: sensitive(z.string()).optional() }).optional(),
    csrf: csrfSecret(),
    plainString: z.string().optional(),
  })
)
interface Account {
  id: number
  email: string
  role: 'admin' | 'member'
}
interface Admin extends Account {
  role: 'admin'
}

describe('createAuth types', () => {
  it('takes the id type from the user key, and puts the user on c.var.user', () => {
    const auth = createAuth({
      definition: appSession,
      userKey: 'user',
      idOf: (account: Account) => account.id,
      loadUser: (id) => {
        expectTypeOf(id).toEqualTypeOf<number>()
        const account: Account = { id, email: 'a@example.org', role: 'member' }
        return account
      },
    })
    const app = new Hono<SessionEnv<typeof appSession>>()
    app.use(sessionMiddleware(appSession, { secret: 'x'.repeat(32) }))
    app.get('/me', auth.requireUser(), (c) => {
      expectTypeOf(c.var.user).toEqualTypeOf<Account>()
      return c.text(c.var.user.email)
    })
    expectTypeOf(auth.currentUser).returns.resolves.toEqualTypeOf<Account | undefined>()
  })

  it('accepts as user key only a key whose value has an id', () => {
    createAuth({
      definition: appSession,
      // @ts-expect-error: counter holds a number, not { id }
      userKey: 'counter',
      idOf: (account: Account) => account.id,
      loadUser: () => undefined,
    })
  })

  it('refuses an idOf whose id type differs from the stored one', () => {
    createAuth({
      definition: appSession,
      userKey: 'user',
      // @ts-expect-error: the session stores a number id
      idOf: (account: { id: string }) => account.id,
      loadUser: () => undefined,
    })
  })
})

describe('requireUser options', () => {
  const auth = createAuth({
    definition: appSession,
    userKey: 'user',
    idOf: (account: Account) => account.id,
    loadUser: () => undefined,
  })
  const app = new Hono<SessionEnv<typeof appSession>>()

  it('narrows c.var.user with a type guard, and types the user allow is given', () => {
    app.get(
      '/admin',
      auth.requireUser({ allow: (user): user is Admin => user.role === 'admin' }),
      (c) => {
        expectTypeOf(c.var.user).toEqualTypeOf<Admin>()
        return c.text(c.var.user.role)
      }
    )
    app.get(
      '/mine',
      auth.requireUser({
        allow: async (user, c) => {
          expectTypeOf(user).toEqualTypeOf<Account>()
          return c.req.query('id') === String(user.id)
        },
      }),
      (c) => {
        expectTypeOf(c.var.user).toEqualTypeOf<Account>()
        return c.text('ok')
      }
    )
  })

  it('tells onFailure why, and who was refused', () => {
    auth.requireUser({
      onFailure: (c, failure) => {
        expectTypeOf(failure).toEqualTypeOf<AuthFailure<Account>>()
        if (failure.reason === 'forbidden') {
          expectTypeOf(failure.user).toEqualTypeOf<Account>()
          expectTypeOf(failure.status).toEqualTypeOf<403>()
        } else {
          expectTypeOf(failure.status).toEqualTypeOf<401>()
          // @ts-expect-error: nobody is logged in
          void failure.user
        }
        return c.json({ error: failure.reason }, failure.status)
      },
    })
  })
})

describe('csrf.protect() and safeRedirect types', () => {
  it('tells onFailure why a request was refused', () => {
    const csrf = createCsrf({ definition: appSession })
    csrf.protect({
      maxFormBytes: 4096,
      onFailure: (c, failure) => {
        expectTypeOf(failure.reason).toEqualTypeOf<
          'missing-token' | 'invalid-token' | 'form-too-large'
        >()
        expectTypeOf(failure).toEqualTypeOf<CsrfFailure>()
        return c.text(failure.message, failure.status)
      },
    })
  })

  it('takes anything that came with the request, and gives a string', () => {
    expectTypeOf(safeRedirect).parameter(0).toEqualTypeOf<unknown>()
    expectTypeOf(safeRedirect('/a')).toEqualTypeOf<string>()
  })
})

describe('createCsrf types', () => {
  it('accepts as key a key declared with csrfSecret() or a string key, and finds a marked one by itself', () => {
    createCsrf({ definition: appSession, key: 'csrf' })
    createCsrf({ definition: appSession })
    // @ts-expect-error: counter holds a number
    createCsrf({ definition: appSession, key: 'counter' })
    createCsrf({ definition: appSession, key: 'plainString' })
  })

  it('reads the secret as an optional string, as z.string().optional() does', () => {
    const session = {} as TypedSession<SchemaOf<typeof appSession>>
    expectTypeOf(session.get('csrf')).resolves.toEqualTypeOf<string | undefined>()
    expectTypeOf(csrfSecret()).toExtend<$ZodType<string | undefined>>()
  })
})

describe('sensitive()', () => {
  it('keeps the type of the schema it marks', () => {
    const marked = sensitive(z.string().min(3))
    expectTypeOf(marked).toEqualTypeOf<z.ZodString>()
    expectTypeOf(marked.optional()).toEqualTypeOf<z.ZodOptional<z.ZodString>>()
  })
})

import { describe, expect, it } from 'vitest'
import { compileFixtures } from '../helpers/compile-fixtures.js'

// The compile errors of the common first-hour mistakes say what to do in their first line: the
// fixtures are compiled as files of the repository, and the messages matched as a developer
// reads them in the editor (expectTypeOf can assert that code fails, not what the error says).
const head = `import { z } from 'zod'
import { defineSession, versioned } from 'typed-sessions'
import { createAuth, createCsrf, csrfSecret } from 'typed-sessions/auth'
`

const fixtures = {
  noLoginKey: `${head}
const s = defineSession(z.object({ visits: z.number(), user: z.object({ name: z.string() }).optional() }))
createAuth({ definition: s, userKey: 'user', idOf: (u: { id: string }) => u.id, loadUser: (id) => ({ id: String(id) }) })`,
  noCsrfKey: `${head}
const s = defineSession(z.object({ visits: z.number() }))
createCsrf({ definition: s, key: 'visits' })`,
  date: `${head}
defineSession(z.object({ visits: z.number(), lastVisit: z.date() }))`,
  bigintInVersioned: `${head}
defineSession(
  versioned(z.object({ n: z.number() })).migrate(z.object({ n: z.number(), total: z.bigint() }), (v) => ({ ...v, total: 0n }))
)`,
  wrongLoginKey: `${head}
const s = defineSession(z.object({ visits: z.number(), user: z.object({ id: z.string() }).optional() }))
createAuth({ definition: s, userKey: 'account', idOf: (u: { id: string }) => u.id, loadUser: (id) => ({ id }) })`,
  // The right code still compiles, and the types still flow from the schema.
  right: `${head}
import type { TypedSession } from 'typed-sessions'
const s = defineSession(
  versioned(z.object({ n: z.number() })).migrate(
    z.object({ visits: z.number(), csrf: csrfSecret(), user: z.object({ id: z.number() }).optional() }),
    (v) => ({ visits: v.n })
  )
)
export const auth = createAuth({ definition: s, userKey: 'user', idOf: (u: { id: number }) => u.id, loadUser: (id: number) => ({ id }) })
export const csrf = createCsrf({ definition: s })
export const keyed = createCsrf({ definition: s, key: 'csrf' })
declare const session: TypedSession<typeof s.schema>
export const visits: number | undefined = await session.get('visits')`,
}

describe('compile errors of the common mistakes', () => {
  const errors = compileFixtures(fixtures)

  it('createAuth on a schema with no login key says which key to declare', () => {
    expect(errors.noLoginKey).toEqual([
      `TS2322: Type '"user"' is not assignable to type '"createAuth: the session schema has no key for the login (an object with an id); declare one, e.g. user: z.object({ id: z.string(), authHash: z.string().optional() }).optional(), and pass userKey: 'user'"'.`,
    ])
  })

  it('createCsrf on a schema with no key for the secret says to declare csrfSecret()', () => {
    expect(errors.noCsrfKey).toEqual([
      `TS2322: Type '"visits"' is not assignable to type '"createCsrf: the session schema has no key for the CSRF secret; declare one, e.g. csrf: csrfSecret() (from 'typed-sessions/auth'), and pass key: 'csrf' or omit it"'.`,
    ])
  })

  it('defineSession with a z.date() names the key and the codec in one line', () => {
    expect(errors.date).toHaveLength(1)
    expect(errors.date![0]).toMatch(/^TS2345: Argument of type 'ZodObject<[^\n]*'\.$/)
    expect(errors.date![0]).toContain(
      `"defineSession: session key 'lastVisit' holds a value JSON cannot store (a Date, bigint, Map, Set…); declare it with a codec that stores a string, e.g. z.codec(z.iso.datetime(), z.date(),`
    )
  })

  it('defineSession checks the current schema of a versioned chain the same way', () => {
    expect(errors.bigintInVersioned).toHaveLength(1)
    expect(errors.bigintInVersioned![0]).toContain(
      `"defineSession: session key 'total' holds a value`
    )
  })

  it('a createAuth key that is not the login key names the one that is', () => {
    expect(errors.wrongLoginKey).toEqual([
      `TS2322: Type '"account"' is not assignable to type '"user"'.`,
    ])
  })

  it('leaves the right code compiling', () => {
    expect(errors.right).toEqual([])
  })
}, 120_000)

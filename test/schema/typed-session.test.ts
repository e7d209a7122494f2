import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  MemoryStore,
  Session,
  TypedSession,
  defineSession,
  isSessionError,
  type DefineSessionOptions,
  type SessionSchema,
  type StorableSchemaArgument,
} from 'typed-sessions'

const schema = z.object({
  counter: z.number().int().default(0),
  name: z.string().min(1),
  user: z.object({ id: z.string() }).optional(),
  seenAt: z.codec(z.iso.datetime(), z.date(), {
    decode: (text) => new Date(text),
    encode: (date) => date.toISOString(),
  }),
})

/** A typed session over a store that already holds `stored` as its data. */
async function sessionWith<S extends SessionSchema>(
  shape: S,
  stored: Record<string, unknown>,
  options?: DefineSessionOptions
) {
  const store = new MemoryStore()
  const writer = new Session({ store })
  for (const [key, value] of Object.entries(stored)) await writer.set(key, value)
  await writer.save()
  const engine = new Session({ store }, writer.id)
  return {
    typed: new TypedSession(defineSession<S>(shape as StorableSchemaArgument<S>, options), engine),
    engine,
  }
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  if (!isSessionError(error)) throw new Error(`expected a SessionError, got ${String(error)}`)
  return error
}

describe('the typed session', () => {
  it('reads an absent key with a default as its default, and one without as undefined', async () => {
    const { typed } = await sessionWith(schema, {})
    expect(await typed.get('counter')).toBe(0)
    expect(await typed.get('name')).toBeUndefined()
    expect(typed.isModified).toBe(false)
  })

  it('refuses a value that fails its schema, naming the key and the issue', async () => {
    const { typed } = await sessionWith(schema, { name: 'ada' })
    const error = await failure(typed.set('name', ''))
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toMatch(/session key "name"/)
    expect(error.message).toMatch(/>=1 characters/)
    expect(await typed.get('name')).toBe('ada')
    expect(typed.isModified).toBe(false)
  })

  it('names the path of a nested issue', async () => {
    const { typed } = await sessionWith(schema, {})
    const error = await failure(typed.set('user', { id: 5 } as never))
    expect(error.message).toMatch(/"user": id: /)
  })

  it('refuses a key the schema does not have at run time too', async () => {
    const { typed } = await sessionWith(schema, {})
    expect((await failure(typed.get('nope' as never))).code).toBe('UNKNOWN_KEY')
    expect((await failure(typed.set('toString' as never, 1 as never))).code).toBe('UNKNOWN_KEY')
  })

  it('stores a codec value in its JSON form and decodes it on read', async () => {
    const { typed, engine } = await sessionWith(schema, {})
    await typed.set('seenAt', new Date('2026-01-02T03:04:05.000Z'))
    expect(await engine.get('seenAt')).toBe('2026-01-02T03:04:05.000Z')
    expect(await typed.get('seenAt')).toEqual(new Date('2026-01-02T03:04:05.000Z'))
  })

  it('refuses, when the session is defined, a schema JSON cannot store, and says to use a codec', () => {
    const unstorable = [
      z.object({ upper: z.string().transform((text) => text.toUpperCase()) }),
      z.object({ at: z.date() }),
      z.object({ nested: z.object({ ids: z.array(z.bigint()) }) }),
      z.object({ tags: z.set(z.string()).optional() }),
      z.object({ byId: z.record(z.string(), z.map(z.string(), z.number())) }),
    ]
    for (const shape of unstorable) {
      let error: unknown
      try {
        defineSession(shape as never)
      } catch (caught) {
        error = caught
      }
      expect(isSessionError(error) && error.code).toBe('CONFIG')
      expect((error as Error).message).toMatch(/z\.codec/)
    }
    expect(
      (() => {
        try {
          defineSession(z.object({ nested: z.object({ ids: z.array(z.bigint()) }) }) as never)
        } catch (caught) {
          return (caught as Error).message
        }
      })()
    ).toMatch(/nested\.ids\[\]/)
  })

  it('strips keys the schema does not know before storing', async () => {
    const { typed, engine } = await sessionWith(schema, {})
    await typed.set('user', { id: 'u1', admin: true } as never)
    expect(await engine.get('user')).toEqual({ id: 'u1' })
  })

  it('removes an optional key set to undefined', async () => {
    const { typed } = await sessionWith(schema, { user: { id: 'u1' } })
    await typed.set('user', undefined)
    expect(await typed.has('user')).toBe(false)
    expect(typed.isModified).toBe(true)
  })

  it('updates one key from its current value and returns the new value', async () => {
    const { typed } = await sessionWith(schema, { counter: 41 })
    expect(await typed.update('counter', (n) => n + 1)).toBe(42)
    expect(await typed.get('counter')).toBe(42)
    await expect(typed.update('counter', (n) => n + 0.5)).rejects.toThrow(/"counter"/)
    expect(await typed.get('counter')).toBe(42)
  })

  it('drops a stored value that fails its schema by default, and removes it at the save', async () => {
    const { typed, engine } = await sessionWith(schema, { counter: 'seven', name: 'ada' })
    expect(await typed.get('counter')).toBe(0)
    expect(await typed.has('counter')).toBe(false)
    expect(typed.isModified).toBe(true)
    await typed.save()
    expect(await engine.keys()).toEqual(['name'])
  })

  it("throws INVALID_STORED_DATA with onInvalid: 'throw'", async () => {
    const { typed } = await sessionWith(schema, { counter: 'seven' }, { onInvalid: 'throw' })
    const error = await failure(typed.get('counter'))
    expect(error.code).toBe('INVALID_STORED_DATA')
    expect(error.message).toMatch(/"counter"/)
  })

  it('lets an onInvalid function decide per key, told the key and the Zod issues', async () => {
    const seen: string[] = []
    const { typed } = await sessionWith(
      schema,
      { counter: 'seven', name: 5 },
      {
        onInvalid: ({ key, issues }) => {
          seen.push(`${key}:${issues[0]?.code}`)
          return key === 'name' ? 'throw' : 'drop'
        },
      }
    )
    expect(await typed.get('counter')).toBe(0)
    expect((await failure(typed.get('name'))).code).toBe('INVALID_STORED_DATA')
    expect(seen).toEqual(['counter:invalid_type', 'name:invalid_type'])
  })
})

describe('defineSession', () => {
  it('refuses a schema that is not a z.object', () => {
    expect(() => defineSession(z.string() as never)).toThrow(/z\.object/)
  })

  it('refuses an unknown onInvalid policy', () => {
    expect(() => defineSession(schema, { onInvalid: 'ignore' as never })).toThrow(/onInvalid/)
  })
})

describe('values read from a typed session', () => {
  const listSchema = z.object({ tags: z.array(z.string()), user: z.object({ id: z.string() }) })

  it('are frozen: pushing onto a read array throws a TypeError and the session is unchanged', async () => {
    const { typed, engine } = await sessionWith(listSchema, { tags: ['a'], user: { id: 'u' } })
    const tags = (await typed.get('tags')) as string[]
    expect(() => tags.push('b')).toThrow(TypeError)
    const user = (await typed.get('user')) as { id: string }
    expect(() => Object.assign(user, { id: 'other' })).toThrow(TypeError)
    expect(await typed.get('tags')).toEqual(['a'])
    expect(engine.isModified).toBe(false)
    const next = (await typed.update('tags', (list) => [...(list ?? []), 'b'])) as string[]
    expect(() => next.push('c')).toThrow(TypeError)
    expect(await typed.get('tags')).toEqual(['a', 'b'])
  })

  it('are validated once per stored value: a second read reuses it, a changed value is validated anew', async () => {
    let checks = 0
    const counted = z.object({
      tags: z.array(z.string()).refine(() => (checks++, true)),
    })
    const { typed } = await sessionWith(counted, { tags: ['a'] })
    expect(await typed.get('tags')).toEqual(['a'])
    expect(await typed.get('tags')).toEqual(['a'])
    expect(await typed.has('tags')).toBe(true)
    expect(checks).toBe(1)
    await typed.set('tags', ['b']) // validated on the way in…
    expect(await typed.get('tags')).toEqual(['b']) // …and the stored copy on the way out
    expect(checks).toBe(3)
  })
})

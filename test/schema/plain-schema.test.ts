import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { MemoryStore, Session, TypedSession, defineSession } from 'typed-sessions'
import { isPlainSchema } from '../../src/schema/plain-schema.js'

const upper = z.codec(z.string(), z.string(), {
  decode: (stored) => stored.toUpperCase(),
  encode: (value) => value.toLowerCase(),
})

describe('isPlainSchema', () => {
  it.each([
    ['a number with a default', z.number().int().default(0)],
    ['an optional object', z.object({ id: z.string(), tags: z.array(z.string()) }).optional()],
    [
      'a union, a record and a tuple',
      z.union([z.record(z.string(), z.number()), z.tuple([z.literal(1)])]),
    ],
    ['an enum, nullable', z.enum(['a', 'b']).nullable()],
  ])('is true for %s', (_, schema) => {
    expect(isPlainSchema(schema)).toBe(true)
  })

  it.each([
    ['a codec', upper],
    ['a codec deep inside an object', z.object({ a: z.array(z.object({ b: upper })) })],
    ['a transform', z.string().transform((s) => s.length)],
    ['a pipe', z.string().pipe(z.string().min(1))],
    ['a catch', z.number().catch(0)],
    ['a lazy schema', z.lazy(() => z.string())],
  ])('is false for %s', (_, schema) => {
    expect(isPlainSchema(schema)).toBe(false)
  })
})

describe('set stores the encoded form', () => {
  it('encodes a codec whose stored and read types are alike', async () => {
    const store = new MemoryStore()
    const engine = new Session({ store })
    const session = new TypedSession(defineSession(z.object({ name: upper.optional() })), engine)
    await session.set('name', 'ADA')
    expect(await engine.get('name')).toBe('ada')
    expect(await session.get('name')).toBe('ADA')
  })
})

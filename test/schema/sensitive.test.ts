import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, redactSensitive, sensitive, versioned } from 'typed-sessions'
import { csrfSecret } from 'typed-sessions/auth'

describe('sensitive()', () => {
  it('validates as the schema it marks, and leaves that schema unmarked', () => {
    const plain = z.string().min(3)
    const marked = sensitive(plain)
    expect(marked.safeParse('abc').success).toBe(true)
    expect(marked.safeParse('ab').success).toBe(false)
    const definition = defineSession(z.object({ a: plain, b: marked }))
    expect(redactSensitive(definition, { a: 'abc', b: 'abc' })).toEqual({
      a: 'abc',
      b: '[redacted]',
    })
  })

  it('keeps its mark through .optional(), .min() and .describe()', () => {
    const definition = defineSession(
      z.object({
        a: sensitive(z.string()).optional(),
        b: sensitive(z.string()).min(1),
        c: sensitive(z.string()).describe('a hash').nullable().default('x'),
      })
    )
    expect(redactSensitive(definition, { a: '1', b: '2', c: '3' })).toEqual({
      a: '[redacted]',
      b: '[redacted]',
      c: '[redacted]',
    })
  })
})

describe('redactSensitive', () => {
  const token = z.object({ name: z.string(), secret: sensitive(z.string()) })
  const definition = defineSession(
    z.object({
      user: z.object({ id: z.string(), authHash: sensitive(z.string()).optional() }).optional(),
      csrf: csrfSecret(),
      tokens: z.array(token).default([]),
      byName: z.record(z.string(), token).optional(),
      pair: z.tuple([z.string(), sensitive(z.string())]).optional(),
      either: z.union([z.object({ pin: sensitive(z.string()) }), z.string()]).optional(),
      tree: z.lazy(() => z.object({ key: sensitive(z.string()), child: z.any() })).optional(),
      sealed: sensitive(z.object({ a: z.string() })).optional(),
    })
  )

  it('redacts marked values however deep, in objects, arrays, records, tuples and unions', () => {
    const data = {
      user: { id: 'ada', authHash: 'h' },
      csrf: 's',
      tokens: [{ name: 't1', secret: 'x' }],
      byName: { k: { name: 't2', secret: 'y' } },
      pair: ['shown', 'hidden'],
      either: { pin: '1234' },
      tree: { key: 'k', child: { key: 'not walked: z.any()' } },
      sealed: { a: 'b' },
      unknownKey: 'kept',
    }
    expect(redactSensitive(definition, data)).toEqual({
      user: { id: 'ada', authHash: '[redacted]' },
      csrf: '[redacted]',
      tokens: [{ name: 't1', secret: '[redacted]' }],
      byName: { k: { name: 't2', secret: '[redacted]' } },
      pair: ['shown', '[redacted]'],
      either: { pin: '[redacted]' },
      tree: { key: '[redacted]', child: { key: 'not walked: z.any()' } },
      sealed: '[redacted]',
      unknownKey: 'kept',
    })
    expect(data.user.authHash).toBe('h')
  })

  it('leaves values of another shape than the schema as they are, and a __proto__ key as data', () => {
    const data = JSON.parse('{"user":"not an object","tokens":7,"__proto__":{"x":1}}')
    const redacted = redactSensitive(definition, data)
    expect(redacted).toEqual(data)
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype)
  })

  it('redacts what any version of the schema marks (a record not migrated yet)', () => {
    const history = defineSession(
      versioned(z.object({ token: sensitive(z.string()) })).migrate(
        z.object({ apiKey: sensitive(z.string()).optional() }),
        () => ({})
      )
    )
    expect(redactSensitive(history, { token: 'old', apiKey: 'new' })).toEqual({
      token: '[redacted]',
      apiKey: '[redacted]',
    })
  })

  it('redacts a codec by the mark on its stored side or on its value side', () => {
    const date = z.codec(z.iso.datetime(), z.date(), {
      decode: (s) => new Date(s),
      encode: (d) => d.toISOString(),
    })
    const codecs = defineSession(
      z.object({
        a: z.codec(sensitive(z.iso.datetime()), z.date(), {
          decode: (s) => new Date(s),
          encode: (d) => d.toISOString(),
        }),
        b: sensitive(date),
        c: date,
      })
    )
    const at = '2024-01-01T00:00:00.000Z'
    expect(redactSensitive(codecs, { a: at, b: at, c: at })).toEqual({
      a: '[redacted]',
      b: '[redacted]',
      c: at,
    })
  })
})

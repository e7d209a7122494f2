import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateSessionId, handleOf, ownerKeyOf, recordKeyOf } from 'typed-sessions'
import { codeAndMessage } from '../helpers/errors.js'

// Owner keys and handles (DESIGN-16): labelled SHA-256 hashes, checked against node:crypto.

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url')

describe('owner keys and handles', () => {
  it('ownerKeyOf is the base64url SHA-256 of the labelled user id, 43 characters', () => {
    for (const id of ['ada', '42', 'ユーザー', 'a'.repeat(500)]) {
      expect(ownerKeyOf(id)).toBe(sha256(`typed-sessions owner\0${id}`))
      expect(ownerKeyOf(id)).toMatch(/^[\w-]{43}$/)
    }
    expect(ownerKeyOf('ada')).not.toContain('ada')
    expect(ownerKeyOf('ada')).not.toBe(ownerKeyOf('Ada'))
  })

  it('ownerKeyOf refuses a user id that is not a non-empty string', () => {
    expect(codeAndMessage(() => ownerKeyOf(''))).toMatch(/^INVALID_VALUE: .*non-empty string/)
    expect(codeAndMessage(() => ownerKeyOf(42 as never))).toMatch(/String\(id\)/)
  })

  it('a handle is the first 22 characters of the labelled SHA-256 of the record key', () => {
    const id = generateSessionId()
    const key = recordKeyOf(id)
    expect(handleOf(key)).toBe(sha256(`typed-sessions handle\0${key}`).slice(0, 22))
    expect(handleOf(key)).toMatch(/^[\w-]{22}$/)
    // Neither the id nor the record key, nor anything a cookie could be made from.
    expect(handleOf(key)).not.toBe(id)
    expect(key).not.toContain(handleOf(key))
    expect(handleOf(key)).not.toBe(handleOf(recordKeyOf(generateSessionId())))
  })
})

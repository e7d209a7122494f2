import { describe, expect, it } from 'vitest'
import { fromBase64url } from '../../src/core/base64url.js'
import { sha256Base64url } from '../../src/core/crypto.js'
import { generateSessionId, isSessionIdShape, recordKeyOf } from '../../src/core/session-id.js'

describe('generateSessionId', () => {
  it('draws distinct 22-character ids, across many refills of its random pool', () => {
    const ids = Array.from({ length: 5_000 }, generateSessionId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(isSessionIdShape(id)).toBe(true)
  })

  it('uses every bit: each of the 128 bits is set in some ids and clear in others', () => {
    const ones = new Array<number>(128).fill(0)
    const count = 2_000
    for (let n = 0; n < count; n++) {
      const bytes = fromBase64url(generateSessionId())!
      expect(bytes.length).toBe(16)
      for (let bit = 0; bit < 128; bit++) ones[bit]! += (bytes[bit >> 3]! >> (bit & 7)) & 1
    }
    // A fair bit is set in 1,000 ± 150 of 2,000 ids with overwhelming probability (> 6 sigma).
    for (const n of ones) expect(Math.abs(n - count / 2)).toBeLessThan(150)
  })
})

describe('recordKeyOf', () => {
  it('is the SHA-256 of the id, the same when asked again (from its cache)', () => {
    const id = generateSessionId()
    expect(recordKeyOf(id)).toBe(sha256Base64url(id))
    expect(recordKeyOf(id)).toBe(sha256Base64url(id))
  })

  it('stays right for ids that have left its cache', () => {
    const first = generateSessionId()
    const key = recordKeyOf(first)
    for (let i = 0; i < 25_000; i++) recordKeyOf(generateSessionId())
    expect(recordKeyOf(first)).toBe(key)
  })
})

import { describe, expect, it } from 'vitest'
import { fromBase64url, toBase64url } from '../../src/core/base64url.js'

const encoder = new TextEncoder()

describe('toBase64url', () => {
  it('encodes the RFC 4648 test vectors, without padding', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ]
    for (const [text, encoded] of vectors) expect(toBase64url(encoder.encode(text))).toBe(encoded)
  })

  it('uses the URL-safe alphabet for the last two values', () => {
    expect(toBase64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
  })

  it('agrees with Node for every length up to 100 bytes and for long inputs', () => {
    for (const length of [...Array.from({ length: 101 }, (_, i) => i), 8191, 8192, 30_001]) {
      const bytes = crypto.getRandomValues(new Uint8Array(length))
      const encoded = toBase64url(bytes)
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'))
      expect(fromBase64url(encoded)).toStrictEqual(bytes)
    }
  })
})

describe('fromBase64url', () => {
  it('refuses padding, other alphabets and non-canonical trailing bits', () => {
    for (const text of ['Zg==', 'Zm9v+A', 'Zm9v/A', 'Zh', 'Z', 'Zm9vY€']) {
      expect(fromBase64url(text)).toBeUndefined()
    }
  })
})

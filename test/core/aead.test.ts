import { describe, expect, it } from 'vitest'
import {
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  deriveAeadKey,
  openAead,
  sealAead,
} from '../../src/core/crypto.js'

const fromHex = (hex: string) =>
  Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16))
const text = (value: string) => new TextEncoder().encode(value)
const SECRET = 'an AEAD test secret of at least thirty-two characters'

// draft-irtf-cfrg-xchacha-03, Appendix A.3.1 (AEAD_XChaCha20_Poly1305).
const a31 = {
  key: fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: fromHex('404142434445464748494a4b4c4d4e4f5051525354555657'),
  aad: fromHex('50515253c0c1c2c3c4c5c6c7'),
  plaintext: text(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
  ),
  ciphertextAndTag: fromHex(
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb' +
      '731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
      '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9' +
      '21f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49'
  ),
}
const a31Box = new Uint8Array([...a31.nonce, ...a31.ciphertextAndTag])

describe('AEAD (XChaCha20-Poly1305)', () => {
  it('opens the known-answer box of draft-irtf-cfrg-xchacha A.3.1', () => {
    expect(openAead(a31.key, a31Box, a31.aad)).toStrictEqual(a31.plaintext)
  })

  it('refuses the known-answer box with one bit flipped anywhere, or other associated data', () => {
    for (const index of [
      0,
      AEAD_NONCE_LENGTH,
      a31Box.length - AEAD_TAG_LENGTH,
      a31Box.length - 1,
    ]) {
      const flipped = a31Box.slice()
      flipped[index]! ^= 0x01
      expect(openAead(a31.key, flipped, a31.aad), `byte ${index}`).toBeUndefined()
    }
    expect(openAead(a31.key, a31Box, text('other'))).toBeUndefined()
  })

  it('seal then open round-trips, with a fresh nonce each time and 40 bytes of overhead', () => {
    const key = deriveAeadKey(SECRET, 'label')
    const first = sealAead(key, text('hello'), text('ad'))
    const second = sealAead(key, text('hello'), text('ad'))
    expect(first).toHaveLength(5 + AEAD_NONCE_LENGTH + AEAD_TAG_LENGTH)
    expect(first).not.toStrictEqual(second)
    expect(openAead(key, first, text('ad'))).toStrictEqual(text('hello'))
    expect(openAead(key, second, text('ad'))).toStrictEqual(text('hello'))
  })

  it('a truncated box, an empty box or another key opens to undefined, never throws', () => {
    const key = deriveAeadKey(SECRET, 'label')
    const box = sealAead(key, text('hello'), text('ad'))
    expect(openAead(key, box.subarray(0, box.length - 1), text('ad'))).toBeUndefined()
    expect(openAead(key, box.subarray(0, 10), text('ad'))).toBeUndefined()
    expect(openAead(key, new Uint8Array(0), text('ad'))).toBeUndefined()
    expect(openAead(deriveAeadKey(SECRET, 'other label'), box, text('ad'))).toBeUndefined()
  })

  it('keys derived under different labels or secrets differ; the same inputs give the same key', () => {
    const key = deriveAeadKey(SECRET, 'label')
    expect(deriveAeadKey(SECRET, 'label')).toStrictEqual(key)
    expect(deriveAeadKey(SECRET, 'label 2')).not.toStrictEqual(key)
    expect(deriveAeadKey(`${SECRET}!`, 'label')).not.toStrictEqual(key)
    expect(key).toHaveLength(32)
  })

  it('a key of the wrong length is a programming error that names the argument', () => {
    expect(() => sealAead(new Uint8Array(16), text('x'), text(''))).toThrow(/key must be/)
  })
})

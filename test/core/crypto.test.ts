import { describe, expect, it } from 'vitest'
import { createHmacSha256, hkdfSha256, sha256Base64url } from '../../src/core/crypto.js'

const text = (value: string) => new TextEncoder().encode(value)
/** One-shot HMAC-SHA256 through the keyed form the signer uses. */
const hmacSha256 = (key: Uint8Array, message: Uint8Array) =>
  createHmacSha256(key)(message, new Uint8Array(32))
const repeat = (byte: number, length: number) => new Uint8Array(length).fill(byte)
const fromHex = (hex: string) =>
  Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16))
const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

// RFC 4231 §4.2–§4.8, HMAC-SHA-256 results.
const rfc4231 = [
  {
    name: 'case 1: a 20-byte key',
    key: repeat(0x0b, 20),
    data: text('Hi There'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    name: 'case 2: a key shorter than the output',
    key: text('Jefe'),
    data: text('what do ya want for nothing?'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    name: 'case 3: combined key and data of 50 bytes',
    key: repeat(0xaa, 20),
    data: repeat(0xdd, 50),
    mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
  },
  {
    name: 'case 4: a 25-byte counting key',
    key: fromHex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
    data: repeat(0xcd, 50),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  {
    name: 'case 6: a key larger than the block size',
    key: repeat(0xaa, 131),
    data: text('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'case 7: a key and data larger than the block size',
    key: repeat(0xaa, 131),
    data: text(
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
        'The key needs to be hashed before being used by the HMAC algorithm.'
    ),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
]

describe('hmacSha256', () => {
  for (const vector of rfc4231) {
    it(`matches RFC 4231 ${vector.name}`, () => {
      expect(toHex(hmacSha256(vector.key, vector.data))).toBe(vector.mac)
    })
  }

  it('matches RFC 4231 case 5 truncated to 128 bits', () => {
    const mac = hmacSha256(repeat(0x0c, 20), text('Test With Truncation'))
    expect(toHex(mac.subarray(0, 16))).toBe('a3b6167473100ee06e0c796c2955552b')
  })
})

describe('createHmacSha256', () => {
  it('matches every RFC 4231 vector, also when the prepared state is reused', () => {
    for (const vector of rfc4231) {
      const mac = createHmacSha256(vector.key)
      const out = new Uint8Array(32)
      expect(toHex(mac(vector.data, out))).toBe(vector.mac)
      expect(toHex(mac(vector.data, out))).toBe(vector.mac)
    }
  })

  it('computes the MAC of the prefix followed by the message', () => {
    const key = repeat(0x42, 32)
    const mac = createHmacSha256(key, text('id='))
    for (const id of [
      'AAAAAAAAAAAAAAAAAAAAAA',
      'abcdefghijklmnopqrstuQ',
      'AAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      expect(mac(text(id), new Uint8Array(32))).toEqual(hmacSha256(key, text(`id=${id}`)))
    }
  })

  it('writes into the given buffer and returns it', () => {
    const out = new Uint8Array(32)
    expect(createHmacSha256(repeat(1, 32))(text('x'), out)).toBe(out)
  })
})

describe('hkdfSha256', () => {
  it('matches RFC 5869 test case 1', () => {
    const okm = hkdfSha256(
      repeat(0x0b, 22),
      fromHex('000102030405060708090a0b0c'),
      fromHex('f0f1f2f3f4f5f6f7f8f9'),
      42
    )
    expect(toHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'
    )
  })
})

describe('sha256Base64url', () => {
  it('hashes "abc" to the FIPS 180-2 digest in unpadded base64url', () => {
    expect(sha256Base64url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })

  it('hashes the empty string to the known digest', () => {
    expect(sha256Base64url('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU')
  })

  it('hashes a million "a" (longer than its scratch buffer) to the FIPS 180-2 digest', () => {
    const digest = 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'
    const expected = Buffer.from(digest, 'hex').toString('base64url')
    expect(sha256Base64url('a'.repeat(1_000_000))).toBe(expected)
  })

  it('gives each input its own digest when calls alternate between short and long text', () => {
    const short = sha256Base64url('abc')
    const long = sha256Base64url('x'.repeat(300))
    expect(sha256Base64url('abc')).toBe(short)
    expect(sha256Base64url('x'.repeat(300))).toBe(long)
    expect(short).not.toBe(long)
  })

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    expect(sha256Base64url('héllo 🍪')).toBe('335FGxGcTXImY2d5YJEGK657mevB5T-_6jlX9rWOsD0')
  })
})

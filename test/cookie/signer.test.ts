import { createHmac, hkdfSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateSessionId } from '../../src/core/session-id.js'
import { CookieSigner } from '../../src/cookie/signer.js'
import { configErrorOf } from '../helpers/config-errors.js'

const SECRET = 'current-secret-that-is-long-enough-0001'
const OLD_SECRET = 'previous-secret-that-is-long-enough-002'
const OTHER_SECRET = 'unrelated-secret-that-is-long-enough-03'
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function signedValue(secret: string | string[] = SECRET, name = 'id') {
  const signer = new CookieSigner(secret, name)
  const id = generateSessionId()
  return { signer, id, value: signer.sign(id) }
}

describe('CookieSigner round trip', () => {
  it('signs an id as "<id>.<43-character tag>" and verifies it back', () => {
    const { signer, id, value } = signedValue()
    expect(value).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/)
    expect(value.startsWith(`${id}.`)).toBe(true)
    expect(signer.verify(value)).toEqual({ id, value, rotated: false })
  })

  it('produces the same value for the same id, secret and name, also from another instance', () => {
    const { id, value } = signedValue()
    expect(new CookieSigner(SECRET, 'id').sign(id)).toBe(value)
    expect(new CookieSigner(SECRET, 'id', { cacheSize: 0 }).verify(value)?.id).toBe(id)
  })

  it('verifies many distinct ids, with and without the cache', () => {
    for (const cacheSize of [0, 3, 10_000]) {
      const signer = new CookieSigner(SECRET, 'id', { cacheSize })
      const ids = Array.from({ length: 20 }, generateSessionId)
      const values = ids.map((id) => signer.sign(id))
      for (let round = 0; round < 2; round++) {
        values.forEach((value, i) => expect(signer.verify(value)?.id).toBe(ids[i]))
      }
    }
  })

  it('returns frozen results, so a caller cannot corrupt a cached one', () => {
    const { signer, value } = signedValue()
    expect(Object.isFrozen(signer.verify(value))).toBe(true)
  })

  it('refuses to sign something that is not a session id', () => {
    const signer = new CookieSigner(SECRET, 'id')
    for (const id of ['', 'short', 'A'.repeat(23), 'AAAAAAAAAAAAAAAAAAAAAB', 'é'.repeat(22)]) {
      expect(() => signer.sign(id)).toThrow(/generateSessionId/)
    }
  })
})

describe('CookieSigner rejects tampered and malformed values', () => {
  it('rejects every single-character substitution in the id and the tag', () => {
    const { signer, value } = signedValue()
    for (let i = 0; i < value.length; i++) {
      for (const replacement of [BASE64URL[(BASE64URL.indexOf(value[i]!) + 1) % 64]!, '.', '=']) {
        if (replacement === value[i]) continue
        const tampered = value.slice(0, i) + replacement + value.slice(i + 1)
        expect(signer.verify(tampered), `position ${i} → ${replacement}`).toBeUndefined()
      }
    }
  })

  it('rejects truncated and extended values', () => {
    const { signer, value } = signedValue()
    for (let length = 0; length < value.length; length++) {
      expect(signer.verify(value.slice(0, length))).toBeUndefined()
    }
    expect(signer.verify(`${value}A`)).toBeUndefined()
    expect(signer.verify(`A${value}`)).toBeUndefined()
    expect(signer.verify(`${value}.`)).toBeUndefined()
  })

  it('rejects a tag padded with "="', () => {
    const { signer, value } = signedValue()
    expect(signer.verify(`${value}=`)).toBeUndefined()
    expect(signer.verify(`${value.slice(0, -1)}=`)).toBeUndefined()
  })

  it('rejects a value with an extra or a missing dot', () => {
    const { signer, id, value } = signedValue()
    const tag = value.slice(23)
    expect(signer.verify(`${id}..${tag.slice(1)}`)).toBeUndefined()
    expect(signer.verify(`${id}.${tag.slice(0, 20)}.${tag.slice(21)}`)).toBeUndefined()
    expect(signer.verify(`${id}${tag}A`)).toBeUndefined()
    expect(signer.verify(`${id}A${tag}`)).toBeUndefined()
  })

  it('rejects standard base64 characters in place of their base64url equivalents', () => {
    const signer = new CookieSigner(SECRET, 'id')
    // Find values that contain '-' or '_' and swap them for '+' or '/'.
    let checked = 0
    while (checked < 10) {
      const value = signer.sign(generateSessionId())
      if (!/[-_]/.test(value)) continue
      expect(signer.verify(value.replace(/-/g, '+').replace(/_/g, '/'))).toBeUndefined()
      checked++
    }
  })

  it('rejects a tag whose last character only changes the unused trailing bits', () => {
    const { signer, value } = signedValue()
    const last = BASE64URL.indexOf(value.at(-1)!)
    // The last of 43 characters carries 4 bits of data and 2 padding bits that must be zero.
    for (const bits of [1, 2, 3]) {
      expect(signer.verify(value.slice(0, -1) + BASE64URL[last | bits]!)).toBeUndefined()
    }
  })

  it('rejects an id whose last character only changes the unused trailing bits', () => {
    const { signer, id, value } = signedValue()
    const last = BASE64URL.indexOf(id.at(-1)!)
    for (const bits of [1, 2, 3, 4, 8, 15]) {
      const altered = id.slice(0, -1) + BASE64URL[last | bits]!
      expect(signer.verify(altered + value.slice(22))).toBeUndefined()
    }
  })

  it('rejects a value signed for another cookie name with the same secret', () => {
    const { id, value } = signedValue(SECRET, 'id')
    expect(new CookieSigner(SECRET, 'sid').verify(value)).toBeUndefined()
    expect(new CookieSigner(SECRET, 'id2').verify(value)).toBeUndefined()
    expect(new CookieSigner(SECRET, 'sid').sign(id)).not.toBe(value)
  })

  it('rejects a value signed with an unknown key', () => {
    const { value } = signedValue(OTHER_SECRET)
    expect(new CookieSigner(SECRET, 'id').verify(value)).toBeUndefined()
    expect(new CookieSigner([SECRET, OLD_SECRET], 'id').verify(value)).toBeUndefined()
  })

  it('rejects empty, huge, non-ASCII and non-string input without throwing', () => {
    const signer = new CookieSigner(SECRET, 'id')
    const junk = [
      '',
      '.',
      'x'.repeat(10_240),
      `${'A'.repeat(22)}.${'A'.repeat(10_000)}`,
      'é'.repeat(66),
      `${'A'.repeat(21)}é.${'A'.repeat(43)}`,
      `${'A'.repeat(22)}.${'A'.repeat(41)}🍪`,
      '\u0000'.repeat(66),
    ]
    for (const value of junk) expect(signer.verify(value)).toBeUndefined()
    for (const value of [undefined, null, 42, {}, ['a']]) {
      expect(signer.verify(value as unknown as string)).toBeUndefined()
    }
  })

  it('rejects random strings of the right shape', () => {
    const signer = new CookieSigner(SECRET, 'id')
    const random = (length: number) =>
      Array.from({ length }, () => BASE64URL[Math.floor(Math.random() * 64)]).join('')
    for (let i = 0; i < 200; i++) {
      expect(signer.verify(`${generateSessionId()}.${random(42)}A`)).toBeUndefined()
    }
  })

  it('does not let a tampered value pass after the valid one was cached', () => {
    const { signer, value } = signedValue()
    expect(signer.verify(value)).toBeDefined()
    expect(signer.verify(value)).toBeDefined()
    const last = value.at(-1) === 'A' ? 'Q' : 'A'
    expect(signer.verify(value.slice(0, -1) + last)).toBeUndefined()
    // The first character swapped for another one, so the id always changes.
    const first = value[0] === 'X' ? 'Y' : 'X'
    expect(signer.verify(`${first}${value.slice(1)}`)).toBeUndefined()
    expect(signer.verify(value)).toBeDefined()
  })
})

describe('CookieSigner known-answer vectors', () => {
  // Pinned values: HMAC-SHA256 over `${name}=${id}` under HKDF-SHA256(secret, salt 'typed-sessions
  // cookie signing v1', info name). Signing with the raw secret, another salt or another message
  // changes every one of them, and every cookie already issued would stop verifying.
  const vectors = [
    [SECRET, 'id', 'AAAAAAAAAAAAAAAAAAAAAA', 'p-lvvGG07wWniLiJmoayjGNwAb5SqkzG9cf1vH9JboQ'],
    [SECRET, '__Host-sid', 'ZZZZ-_0123456789abcdeQ', 'JzXrPnZ1Z7qyr_7d8t-cQM5hdHCjTsPxRZRTuKS0fs4'],
    [OLD_SECRET, 'id', 'AAAAAAAAAAAAAAAAAAAAAA', 'vm821WaH20l_hQTUnBlD3hyt2fO-IA0ZNzR4P39-_a8'],
  ] as const

  it.each(vectors)(
    'signs with %s for cookie %s the id %s as the pinned value',
    (secret, name, id, tag) => {
      expect(new CookieSigner(secret, name).sign(id)).toBe(`${id}.${tag}`)
      expect(new CookieSigner(secret, name).verify(`${id}.${tag}`)?.id).toBe(id)
    }
  )

  it('agrees with an independent HKDF + HMAC from node:crypto', () => {
    for (const [secret, name, id, tag] of vectors) {
      const key = hkdfSync('sha256', secret, 'typed-sessions cookie signing v1', name, 32)
      const expected = createHmac('sha256', Buffer.from(key))
        .update(`${name}=${id}`)
        .digest('base64url')
      expect(expected).toBe(tag)
    }
  })
})

describe('CookieSigner key rotation', () => {
  it('verifies a value signed with an older key and re-signs it with the current one', () => {
    const { id, value: oldValue } = signedValue(OLD_SECRET)
    const ring = new CookieSigner([SECRET, OLD_SECRET], 'id')
    const expected = new CookieSigner(SECRET, 'id').sign(id)
    expect(ring.verify(oldValue)).toEqual({ id, value: expected, rotated: true })
    // Again, from the cache: still flagged for re-issue until the browser has the new value.
    expect(ring.verify(oldValue)).toEqual({ id, value: expected, rotated: true })
    expect(ring.verify(expected)).toEqual({ id, value: expected, rotated: false })
  })

  it('signs with the first secret of the ring', () => {
    const id = generateSessionId()
    expect(new CookieSigner([SECRET, OLD_SECRET], 'id').sign(id)).toBe(
      new CookieSigner(SECRET, 'id').sign(id)
    )
  })

  it('accepts a value signed with any key of a longer ring', () => {
    const ring = new CookieSigner([SECRET, OLD_SECRET, OTHER_SECRET], 'id')
    const { id, value } = signedValue(OTHER_SECRET)
    expect(ring.verify(value)).toMatchObject({ id, rotated: true })
  })
})

describe('CookieSigner configuration errors', () => {
  it('explains how to fix a missing secret', () => {
    const error = configErrorOf(() => new CookieSigner(undefined, 'id'))
    expect(error.message).toMatch(/Pass `secret`/)
    expect(error.message).toMatch(/at least 32 characters/)
    expect(error.message).toMatch(/openssl rand -base64 32/)
    expect(error.message).toMatch(/never commit/)
  })

  it('rejects an empty string and null as missing', () => {
    expect(configErrorOf(() => new CookieSigner('', 'id')).message).toMatch(/No cookie secret/)
    const nullSecret = null as unknown as string
    expect(configErrorOf(() => new CookieSigner(nullSecret, 'id')).message).toMatch(/No cookie/)
  })

  it('rejects a short secret without revealing it', () => {
    const secret = 'hunter2-is-not-long-enough'
    const error = configErrorOf(() => new CookieSigner(secret, 'id'))
    expect(error.message).toMatch(/shorter than 32 characters/)
    expect(error.message).not.toContain(secret)
    expect(error.message).not.toContain('hunter2')
  })

  it('accepts a secret of exactly 32 characters and rejects one of 31', () => {
    const varied = 'abcdefgh'.repeat(4)
    expect(() => new CookieSigner(varied, 'id')).not.toThrow()
    expect(configErrorOf(() => new CookieSigner(varied.slice(1), 'id')).message).toMatch(
      /shorter than 32/
    )
  })

  it('refuses a long secret with fewer than 8 distinct characters, saying how to make one', () => {
    for (const weak of ['a'.repeat(32), 'ab'.repeat(40), 'abcdefg'.repeat(5)]) {
      const error = configErrorOf(() => new CookieSigner(weak, 'id'))
      expect(error.message).toMatch(/fewer than 8 distinct characters/)
      expect(error.message).toContain("crypto.randomBytes(32).toString('base64url')")
      expect(error.message).not.toContain(weak)
    }
  })

  it('refuses a weak previous secret in a key ring, naming its position', () => {
    const error = configErrorOf(() => new CookieSigner([SECRET, 'x'.repeat(40)], 'id'))
    expect(error.message).toContain('`secret[1]`')
    expect(error.message).toMatch(/distinct characters/)
  })

  it('accepts the secrets the tests, examples and benchmarks use', () => {
    const secrets = [
      'test secret: at least thirty-two characters long',
      'dev-only secret: set SESSION_SECRET in production',
      'bench-only secret, at least 32 characters long',
      '0123456789abcdef0123456789abcdef', // 16 bytes as hex, the shortest common random secret
    ]
    for (const secret of secrets) expect(() => new CookieSigner(secret, 'id')).not.toThrow()
  })

  it('rejects an empty array', () => {
    expect(configErrorOf(() => new CookieSigner([], 'id')).message).toMatch(/empty array/)
  })

  it('names the position of a short or non-string secret in the ring, not its content', () => {
    const short = 'too-short-old-secret'
    const error = configErrorOf(() => new CookieSigner([SECRET, short], 'id'))
    expect(error.message).toContain('`secret[1]`')
    expect(error.message).not.toContain(short)
    expect(error.message).not.toContain(SECRET)
    const mixed = [SECRET, 42] as unknown as string[]
    expect(configErrorOf(() => new CookieSigner(mixed, 'id')).message).toMatch(
      /`secret\[1\]` must be a string, not number/
    )
  })

  it('rejects a non-string secret', () => {
    const secret = (2 ** 120) as unknown as string
    expect(configErrorOf(() => new CookieSigner(secret, 'id')).message).toMatch(/must be a string/)
  })

  it('rejects an empty cookie name and an invalid cache size', () => {
    configErrorOf(() => new CookieSigner(SECRET, ''))
    configErrorOf(() => new CookieSigner(SECRET, 'id', { cacheSize: -1 }))
    configErrorOf(() => new CookieSigner(SECRET, 'id', { cacheSize: 1.5 }))
  })
})

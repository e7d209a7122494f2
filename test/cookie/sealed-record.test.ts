import { describe, expect, it } from 'vitest'
import { toBase64url, fromBase64url } from '../../src/core/base64url.js'
import { isSessionError } from '../../src/core/errors.js'
import { Expiry } from '../../src/core/expiry.js'
import { COOKIE_SIZE_LIMIT, RecordSealer, cookieSize } from '../../src/cookie/sealed-record.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { OTHER_SECRET, SECRET } from '../helpers/http.js'

const record = () =>
  makeRecord('record-key', {
    data: { user: { id: 'u1', name: 'Ada' }, counter: 3, __proto__: { x: 1 } },
    schemaVersion: 2,
    version: 4,
    expiry: Expiry.onInactivity(1800),
    token: 'write-token',
  })

describe('a sealed record', () => {
  it('opens to the same record with the key that sealed it', () => {
    const sealer = new RecordSealer(SECRET, 'id')
    const original = record()
    const opened = sealer.open(sealer.seal(original))
    expect(opened).toStrictEqual({ record: original, keyIndex: 0, rotated: false })
  })

  it('is cookie-safe text, and sealing twice gives two different values', () => {
    const sealer = new RecordSealer(SECRET, 'id')
    const first = sealer.seal(record())
    expect(first).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(sealer.seal(record())).not.toBe(first)
  })

  it('does not reveal the data: no plaintext value appears in the cookie', () => {
    const value = new RecordSealer(SECRET, 'id').seal(record())
    const bytes = new TextDecoder().decode(fromBase64url(value))
    expect(bytes).not.toContain('Ada')
    expect(value).not.toContain('Ada')
  })

  it('tampered at any byte, truncated or padded, is no session', () => {
    const sealer = new RecordSealer(SECRET, 'id')
    const box = fromBase64url(sealer.seal(record()))!
    for (let i = 0; i < box.length; i += 7) {
      const tampered = box.slice()
      tampered[i]! ^= 0x20
      expect(sealer.open(toBase64url(tampered)), `byte ${i}`).toBeUndefined()
    }
    expect(sealer.open(toBase64url(box.subarray(0, box.length - 1)))).toBeUndefined()
    expect(sealer.open(toBase64url(box.subarray(0, 30)))).toBeUndefined()
    expect(sealer.open(toBase64url(new Uint8Array([...box, 0])))).toBeUndefined()
    expect(sealer.open('')).toBeUndefined()
    expect(sealer.open('not base64url!')).toBeUndefined()
  })

  it('sealed for one cookie name does not open as another', () => {
    const value = new RecordSealer(SECRET, 'id').seal(record())
    expect(new RecordSealer(SECRET, 'other').open(value)).toBeUndefined()
  })

  it('sealed under a key outside the ring is no session', () => {
    const value = new RecordSealer(OTHER_SECRET, 'id').seal(record())
    expect(new RecordSealer(SECRET, 'id').open(value)).toBeUndefined()
  })

  it('sealed under an older key of the ring opens, says so, and re-seals under the current one', () => {
    const original = record()
    const old = new RecordSealer(OTHER_SECRET, 'id').seal(original)
    const ring = new RecordSealer([SECRET, OTHER_SECRET], 'id')
    const opened = ring.open(old)
    expect(opened?.rotated).toBe(true)
    expect(opened?.keyIndex).toBe(1)
    const resealed = ring.seal(opened!.record)
    expect(new RecordSealer(SECRET, 'id').open(resealed)?.record).toStrictEqual(original)
  })

  it('does not open once its expiresAt passes, by the clock of the server', () => {
    const sealer = new RecordSealer(SECRET, 'id')
    const original = record()
    const value = sealer.seal(original)
    expect(sealer.open(value, original.expiresAt - 1)).toBeDefined()
    expect(sealer.open(value, original.expiresAt)).toBeUndefined()
  })

  it('does not open once its absolute timeout passes, even while its expiresAt is ahead', () => {
    const sealer = new RecordSealer(SECRET, 'id')
    const original = record()
    const absoluteExpiresAt = original.createdAt + 1000
    const value = sealer.seal(original, { absoluteExpiresAt })
    expect(sealer.open(value, absoluteExpiresAt - 1)?.record).toStrictEqual(original)
    expect(sealer.open(value, absoluteExpiresAt)).toBeUndefined()
  })

  it('a small session fits a cookie; a 4 KB one is measured past the 4096-byte limit', () => {
    const sealer = new RecordSealer(SECRET, 'id')
    const small = sealer.seal(record())
    expect(cookieSize('id', small)).toBe(3 + small.length)
    expect(cookieSize('id', small)).toBeLessThan(COOKIE_SIZE_LIMIT)
    const large = sealer.seal(makeRecord('k', { data: { blob: 'x'.repeat(3000) } }))
    expect(cookieSize('id', large)).toBeGreaterThan(COOKIE_SIZE_LIMIT)
  })

  it('refuses a short secret or an empty ring with CONFIG and a fix', () => {
    for (const secret of ['short', [], [SECRET, 'short']]) {
      const error = (() => {
        try {
          new RecordSealer(secret, 'id')
        } catch (e) {
          return e
        }
      })()
      expect(isSessionError(error) && error.code).toBe('CONFIG')
      expect((error as Error).message).toMatch(/openssl rand/)
    }
  })
})

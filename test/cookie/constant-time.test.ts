import { describe, expect, it } from 'vitest'
import { constantTimeEqual } from '../../src/cookie/constant-time.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('constantTimeEqual', () => {
  it('is true for equal bytes', () => {
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true)
  })

  it('is true for two 32-byte tags with the same content in distinct arrays', () => {
    const a = new Uint8Array(32).fill(0xab)
    expect(constantTimeEqual(a, a.slice())).toBe(true)
  })

  it('is false when the first byte differs', () => {
    expect(constantTimeEqual(bytes(0, 2, 3), bytes(1, 2, 3))).toBe(false)
  })

  it('is false when the last byte differs', () => {
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 4))).toBe(false)
  })

  it('is false when only one bit differs', () => {
    const a = new Uint8Array(32)
    const b = new Uint8Array(32)
    b[17] = 0x80
    expect(constantTimeEqual(a, b)).toBe(false)
  })

  it('is false for different lengths, even when one is a prefix of the other', () => {
    expect(constantTimeEqual(bytes(1, 2), bytes(1, 2, 3))).toBe(false)
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2))).toBe(false)
  })

  it('is true for two empty arrays and false for empty against non-empty', () => {
    expect(constantTimeEqual(bytes(), bytes())).toBe(true)
    expect(constantTimeEqual(bytes(), bytes(0))).toBe(false)
  })
})

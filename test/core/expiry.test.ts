import { describe, expect, it } from 'vitest'
import { Expiry, isSessionError } from 'typed-sessions'

// Out-of-range expiries: an instant beyond the range of a Date is refused as CONFIG up front,
// instead of records whose `expiresAt` no store or Date can carry.

function configError(build: () => unknown): string {
  try {
    build()
  } catch (error) {
    expect(isSessionError(error) && error.code).toBe('CONFIG')
    return (error as Error).message
  }
  throw new Error('it was accepted')
}

describe('Expiry', () => {
  it('refuses seconds that would put the end beyond the range of a Date', () => {
    expect(configError(() => Expiry.onInactivity(1e306))).toMatch(/100,000 years/)
    expect(configError(() => Expiry.onSessionEnd(1e20))).toMatch(/onSessionEnd\(ttl\)/)
    expect(Expiry.onInactivity(10 * 365 * 24 * 60 * 60).kind).toBe('onInactivity')
  })

  it('refuses an atDate instant that is not a valid Date', () => {
    expect(configError(() => Expiry.atDate(1e300))).toMatch(/valid Date/)
    expect(configError(() => Expiry.atDate(new Date(Number.NaN)))).toMatch(/valid Date/)
    expect(Expiry.atDate(8.64e15).kind).toBe('atDate') // the last instant a Date can hold
  })
})

import { describe, expect, it } from 'vitest'
import { RecentCache } from '../../src/core/recent-cache.js'

describe('RecentCache', () => {
  it('returns what was set, and undefined for what was not', () => {
    const cache = new RecentCache<number>(10)
    cache.set('a', 1)
    expect(cache.get('a')).toBe(1)
    expect(cache.get('b')).toBeUndefined()
  })

  it('never holds more than its capacity, however many entries are set', () => {
    const cache = new RecentCache<number>(100)
    for (let i = 0; i < 10_000; i++) {
      cache.set(`k${i}`, i)
      expect(cache.size).toBeLessThanOrEqual(100)
    }
    expect(cache.get('k9999')).toBe(9999)
    expect(cache.get('k0')).toBeUndefined()
  })

  it('keeps at least the last half of its capacity', () => {
    const cache = new RecentCache<number>(100)
    for (let i = 0; i < 1_000; i++) cache.set(`k${i}`, i)
    for (let i = 950; i < 1_000; i++) expect(cache.get(`k${i}`)).toBe(i)
  })

  it('keeps an entry that is read between inserts, as the oldest would otherwise go', () => {
    const cache = new RecentCache<number>(10)
    cache.set('kept', 0)
    for (let i = 0; i < 1_000; i++) {
      cache.set(`k${i}`, i)
      expect(cache.get('kept')).toBe(0)
    }
  })

  it('holds nothing with capacity 0', () => {
    const cache = new RecentCache<number>(0)
    cache.set('a', 1)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.size).toBe(0)
  })
})

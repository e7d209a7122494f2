import { describe, expect, it } from 'vitest'
import { keptAddress } from '../../src/auth/client-address.js'
import { summarizeUserAgent } from '../../src/auth/user-agent.js'

// The device details keep a summary of the user agent and what the ip policy says of the IP.

describe('summarizeUserAgent', () => {
  it.each([
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox 133 on macOS',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome 131 on Windows',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
      'Edge 131 on Windows',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      'Safari 18 on iOS',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
      'Safari 17 on macOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome 131 on Android',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
      'Samsung Internet 26 on Android',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/114.0.0.0',
      'Opera 114 on Linux',
    ],
    [
      'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome 131 on ChromeOS',
    ],
    ['curl/8.4.0', 'curl 8'],
  ])('%s → %s', (header, summary) => {
    expect(summarizeUserAgent(header)).toBe(summary)
  })

  it('says nothing for a missing or unrecognised header, and reads a long one only in part', () => {
    expect(summarizeUserAgent(undefined)).toBeUndefined()
    expect(summarizeUserAgent('')).toBeUndefined()
    expect(summarizeUserAgent('Mozilla/5.0 (compatible)')).toBeUndefined()
    // Past the first 512 characters nothing is read: a padded header is unrecognised.
    expect(summarizeUserAgent(`${'('.repeat(600)} Firefox/133.0`)).toBeUndefined()
    expect(summarizeUserAgent(`${'('.repeat(400)} Firefox/133.0`)).toBe('Firefox 133')
  })
})

describe('keptAddress', () => {
  it("'truncate' keeps the network: IPv4 /24, IPv6 /48, a mapped IPv4 as IPv4", () => {
    expect(keptAddress('203.0.113.77', 'truncate')).toBe('203.0.113.0')
    expect(keptAddress('2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'truncate')).toBe(
      '2001:db8:85a3::'
    )
    expect(keptAddress('::ffff:198.51.100.7', 'truncate')).toBe('198.51.100.0')
    expect(keptAddress('fe80::1%eth0', 'truncate')).toBe('fe80:0:0::')
  })

  it("'full' keeps the canonical address, 'hash' 16 characters that tell addresses apart", () => {
    expect(keptAddress('2001:0DB8:0:0:0:0:0:1', 'full')).toBe('2001:db8::1')
    expect(keptAddress('10.0.0.1', 'full')).toBe('10.0.0.1')
    const hashed = keptAddress('10.0.0.1', 'hash')
    expect(hashed).toMatch(/^[\w-]{16}$/)
    expect(hashed).not.toBe(keptAddress('10.0.0.2', 'hash'))
    expect(hashed).not.toContain('10.0')
  })

  it("keeps nothing for 'none', no address or what is not an address; a function decides itself", () => {
    expect(keptAddress('10.0.0.1', 'none')).toBeUndefined()
    expect(keptAddress(undefined, 'full')).toBeUndefined()
    for (const bad of ['999.1.1.1', 'localhost', '1:2:3', '1::2::3', '<script>']) {
      expect(keptAddress(bad, 'full')).toBeUndefined()
    }
    expect(keptAddress('10.0.0.1', (ip) => `net ${ip.split('.')[0]}`)).toBe('net 10')
    expect(keptAddress('10.0.0.1', () => '')).toBeUndefined()
  })
})

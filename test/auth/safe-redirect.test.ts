import { describe, expect, it } from 'vitest'
import { isSessionError } from 'typed-sessions'
import { safeRedirect } from 'typed-sessions/auth'

const SITE = 'https://site.example'

/** Where a browser on `page` of the site goes with `Location: location` (the WHATWG URL parser). */
const resolve = (location: string, page = `${SITE}/deep/page`) => new URL(location, page)

/** True when every browser following `location` from any page of the site stays on it. */
function staysOnSite(location: string): boolean {
  return [`${SITE}/`, `${SITE}/deep/page`, `${SITE}/a/b/c?x=1`].every((page) => {
    const url = resolve(location, page)
    return url.origin === SITE && url.pathname.startsWith('/') && !url.pathname.startsWith('//')
  })
}

describe('safeRedirect', () => {
  it('keeps paths on this site, normalized by the URL parser', () => {
    expect(safeRedirect('/')).toBe('/')
    expect(safeRedirect('/account')).toBe('/account')
    expect(safeRedirect('/search?q=a%20b&page=2#results')).toBe('/search?q=a%20b&page=2#results')
    expect(safeRedirect('/a/./b/../c')).toBe('/a/c')
    expect(safeRedirect('/café?city=Zürich')).toBe('/caf%C3%A9?city=Z%C3%BCrich')
    expect(safeRedirect('/files/a%2Fb')).toBe('/files/a%2Fb')
    expect(safeRedirect('/javascript:alert(1)')).toBe('/javascript:alert(1)')
  })

  // Each one is a known trick; where the browser's own parser sends it off the site, the test
  // says so first, so the list cannot hold a harmless entry by mistake.
  const offSite = [
    '//evil.example',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    '\\/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r/evil.example',
    '\t//evil.example',
    ' //evil.example',
    '\u0000//evil.example',
    '\u001f//evil.example',
    '/\\\t/evil.example',
    '/.//evil.example',
    '/..//evil.example',
    '/%2e%2e//evil.example',
    '/%2E//evil.example',
    'https://evil.example/',
    'HTTPS://evil.example',
    'http:evil.example',
    '//site.example@evil.example',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
  ]
  it.each(offSite)('refuses %j, which the URL parser sends off the site', (candidate) => {
    const url = resolve(candidate)
    expect(url.origin !== SITE || url.pathname.startsWith('//')).toBe(true)
    expect(safeRedirect(candidate)).toBe('/')
  })

  // Harmless to a browser, but one decoding away (a proxy, a second redirect) from another site.
  const encoded = [
    '/%2F/evil.example',
    '/%2f%2fevil.example',
    '/%5Cevil.example',
    '/%5c%5cevil.example',
    '/%09/evil.example',
    '/%0A/evil.example',
    '/%0d%0a/evil.example',
    '/%00/evil.example',
    '/%20//evil.example',
    '%2F%2Fevil.example',
    '/%E0%A4%A', // a malformed escape
  ]
  it.each(encoded)('refuses %j, which decodes to another site', (candidate) => {
    expect(safeRedirect(candidate)).toBe('/')
  })

  it('refuses what does not start with one slash, though a browser would resolve it here', () => {
    for (const candidate of ['evil.example', 'https:/evil.example', '?next=/', '#top']) {
      expect(resolve(candidate).origin).toBe(SITE)
      expect(safeRedirect(candidate)).toBe('/')
    }
  })

  it('refuses what is not a string, empty, whitespace around a path, and very long', () => {
    for (const candidate of [undefined, null, 42, ['/a'], { toString: () => '/a' }, '']) {
      expect(safeRedirect(candidate)).toBe('/')
    }
    for (const candidate of [' /account', '/account ', '/account\n', '\u00a0//evil.example']) {
      expect(safeRedirect(candidate)).toBe('/')
    }
    expect(safeRedirect(`/${'a'.repeat(3000)}`)).toBe('/')
  })

  it('never returns a path that leaves the site, over every mix of the tricky characters', () => {
    const pieces = [
      '/',
      '\\',
      '\t',
      '\n',
      ' ',
      '\u0000',
      '.',
      '..',
      '%2F',
      '%5C',
      '%09',
      '%2e',
      '@',
      ':',
      'x',
    ]
    let tried = 0
    for (const a of pieces) {
      for (const b of pieces) {
        for (const c of pieces) {
          for (const head of ['', '/']) {
            const candidate = `${head}${a}${b}${c}evil.example`
            const result = safeRedirect(candidate, '/home')
            tried++
            expect(staysOnSite(result), `${JSON.stringify(candidate)} → ${result}`).toBe(true)
            // What it keeps, it keeps as the browser would read it.
            if (result !== '/home') expect(resolve(result).href).toBe(resolve(candidate).href)
          }
        }
      }
    }
    expect(tried).toBe(2 * pieces.length ** 3)
  })

  it('uses the fallback given, and refuses one that is not a local path with CONFIG', () => {
    expect(safeRedirect('//evil.example', '/home')).toBe('/home')
    let error: unknown
    try {
      safeRedirect('/a', 'https://evil.example')
    } catch (caught) {
      error = caught
    }
    expect(isSessionError(error) && error.code).toBe('CONFIG')
    expect((error as Error).message).toMatch(/the fallback must be a path on this site/)
  })
})

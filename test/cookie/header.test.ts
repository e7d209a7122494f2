import { describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import {
  readCookieValues,
  resolveCookieOptions,
  serializeRemovalCookie,
  serializeSessionCookie,
  type CookieOptions,
} from '../../src/cookie/header.js'

function expectConfigError(options: CookieOptions, message: RegExp) {
  let thrown: unknown
  try {
    resolveCookieOptions(options)
  } catch (error) {
    thrown = error
  }
  expect(isSessionError(thrown), 'a SessionError was thrown').toBe(true)
  expect(thrown).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(message) })
}

describe('readCookieValues', () => {
  it('reads the value of a cookie among others', () => {
    expect(readCookieValues('a=1; id=abc; b=2', 'id')).toEqual(['abc'])
  })

  it('returns every same-name value in header order', () => {
    expect(readCookieValues('id=first; other=x; id=second; id=third', 'id')).toEqual([
      'first',
      'second',
      'third',
    ])
  })

  it('returns nothing for a missing, empty or unrelated header', () => {
    expect(readCookieValues(undefined, 'id')).toEqual([])
    expect(readCookieValues(null, 'id')).toEqual([])
    expect(readCookieValues('', 'id')).toEqual([])
    expect(readCookieValues('a=1; b=2', 'id')).toEqual([])
  })

  it('does not confuse names that contain or extend the wanted name', () => {
    const header = 'xid=1; id2=2; ID=3; id_=4; id=5; sid=6'
    expect(readCookieValues(header, 'id')).toEqual(['5'])
    expect(readCookieValues(header, 'xid')).toEqual(['1'])
    expect(readCookieValues(header, 'id2')).toEqual(['2'])
    expect(readCookieValues('xid=1; id2=2', 'id')).toEqual([])
  })

  it('does not take "name=" inside another cookie value for a cookie', () => {
    expect(readCookieValues('other=id=evil; token=xid=2', 'id')).toEqual([])
  })

  it('tolerates missing spaces, extra whitespace and tabs', () => {
    expect(readCookieValues('a=1;id=x;b=2', 'id')).toEqual(['x'])
    expect(readCookieValues('a=1 ;   id=x  ;b=2', 'id')).toEqual(['x'])
    expect(readCookieValues('\tid=\tx\t', 'id')).toEqual(['x'])
  })

  it('skips empty pieces and pieces without "="', () => {
    expect(readCookieValues(';; id ; =; id=x;;flag;', 'id')).toEqual(['x'])
  })

  it('keeps an empty value and the rest of a value that contains "="', () => {
    expect(readCookieValues('id=; id=a=b', 'id')).toEqual(['', 'a=b'])
  })

  it('strips one pair of surrounding double quotes', () => {
    expect(readCookieValues('id="abc"; id=""; id="x; id=y"', 'id')).toEqual(['abc', '', '"x', 'y"'])
  })

  it('returns nothing for an empty name', () => {
    expect(readCookieValues('=x; a=1', '')).toEqual([])
  })
})

describe('resolveCookieOptions defaults', () => {
  it('resolves an absent or empty options object to the documented defaults', () => {
    const expected = {
      name: 'id',
      path: '/',
      domain: undefined,
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
      partitioned: false,
    }
    expect(resolveCookieOptions()).toMatchObject(expected)
    expect(resolveCookieOptions({})).toMatchObject(expected)
    expect(resolveCookieOptions({ domain: undefined, secure: undefined })).toMatchObject(expected)
  })

  it('normalises lower-case sameSite values', () => {
    expect(resolveCookieOptions({ sameSite: 'strict' }).sameSite).toBe('Strict')
    expect(resolveCookieOptions({ sameSite: 'lax' }).sameSite).toBe('Lax')
    expect(resolveCookieOptions({ sameSite: 'none' }).sameSite).toBe('None')
  })

  it('accepts valid prefixed names with their required attributes', () => {
    expect(resolveCookieOptions({ name: '__Host-id' }).name).toBe('__Host-id')
    expect(resolveCookieOptions({ name: '__Secure-id', domain: 'example.com' }).name).toBe(
      '__Secure-id'
    )
  })
})

describe('serializeSessionCookie', () => {
  it('writes the default attributes', () => {
    expect(serializeSessionCookie(resolveCookieOptions(), 'v')).toBe(
      'id=v; Path=/; HttpOnly; Secure; SameSite=Lax'
    )
  })

  it('writes every attribute in order when all are set', () => {
    const options = resolveCookieOptions({
      name: 'sid',
      path: '/app',
      domain: 'example.com',
      sameSite: 'None',
      partitioned: true,
    })
    expect(serializeSessionCookie(options, 'v', 60)).toBe(
      'sid=v; Max-Age=60; Domain=example.com; Path=/app; HttpOnly; Secure; SameSite=None; Partitioned'
    )
  })

  it('leaves out HttpOnly and Secure when they are turned off', () => {
    const options = resolveCookieOptions({ httpOnly: false, secure: false, sameSite: 'Strict' })
    expect(serializeSessionCookie(options, 'v')).toBe('id=v; Path=/; SameSite=Strict')
  })

  it('writes Max-Age only when given', () => {
    const options = resolveCookieOptions()
    expect(serializeSessionCookie(options, 'v')).not.toContain('Max-Age')
    expect(serializeSessionCookie(options, 'v', 3600)).toBe(
      'id=v; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax'
    )
  })

  it('clamps a negative Max-Age to 0 and floors a fractional one', () => {
    const options = resolveCookieOptions()
    expect(serializeSessionCookie(options, 'v', -5)).toContain('; Max-Age=0;')
    expect(serializeSessionCookie(options, 'v', -0.5)).toContain('; Max-Age=0;')
    expect(serializeSessionCookie(options, 'v', 59.9)).toContain('; Max-Age=59;')
    expect(serializeSessionCookie(options, 'v', 0.4)).toContain('; Max-Age=0;')
    expect(serializeSessionCookie(options, 'v', Number.NaN)).toContain('; Max-Age=0;')
  })

  it('caps Max-Age at 400 days, the limit browsers apply anyway', () => {
    const options = resolveCookieOptions()
    expect(serializeSessionCookie(options, 'v', Infinity)).toContain('; Max-Age=34560000;')
    expect(serializeSessionCookie(options, 'v', 10 ** 12)).toContain('; Max-Age=34560000;')
  })
})

describe('serializeRemovalCookie', () => {
  it('expires an empty cookie with the same scope and flags', () => {
    expect(serializeRemovalCookie(resolveCookieOptions())).toBe(
      'id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; Secure; SameSite=Lax'
    )
  })

  it('keeps Domain, Path, SameSite and Partitioned so the browser matches the cookie', () => {
    const options = resolveCookieOptions({
      name: 'sid',
      path: '/app',
      domain: 'example.com',
      sameSite: 'None',
      partitioned: true,
    })
    expect(serializeRemovalCookie(options)).toBe(
      'sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; ' +
        'HttpOnly; Secure; SameSite=None; Partitioned'
    )
  })
})

describe('resolveCookieOptions configuration errors', () => {
  it('rejects an empty name', () => {
    expectConfigError({ name: '' }, /cookie\.name "" is not a valid cookie name/)
  })

  it('rejects names that are not RFC 6265 tokens', () => {
    for (const name of [
      'my id',
      'id;',
      'id=',
      'a,b',
      '"id"',
      'id\u0000',
      'id\n',
      'é',
      '(id)',
      'a/b',
    ]) {
      expectConfigError({ name }, /is not a valid cookie name: use letters, digits/)
    }
  })

  it('rejects a path that does not start with "/" or contains ";" or control characters', () => {
    for (const path of ['', 'app', '/a;b', '/a\nb', '/a\u007f', '/é']) {
      expectConfigError({ path }, /cookie\.path .* must start with '\/'/)
    }
  })

  it('rejects a domain with ";", control characters, spaces or nothing at all', () => {
    for (const domain of ['', 'example.com; Secure', 'exa\nmple.com', 'a b.com', 'exämple.com']) {
      expectConfigError({ domain }, /cookie\.domain .* is not a valid domain/)
    }
  })

  it('rejects SameSite=None without Secure', () => {
    expectConfigError({ sameSite: 'None', secure: false }, /SameSite=None .* Set secure: true/)
  })

  it('rejects Partitioned without Secure', () => {
    expectConfigError({ partitioned: true, secure: false }, /Partitioned .* Set secure: true/)
  })

  it('rejects a __Secure- name without Secure, whatever its case', () => {
    expectConfigError({ name: '__Secure-id', secure: false }, /__Secure- prefix/)
    expectConfigError({ name: '__secure-id', secure: false }, /__Secure- prefix/)
  })

  it('rejects a __Host- name without Secure, with a Domain, or with another Path', () => {
    const message = /__Host- prefix, which browsers only accept with Secure, no Domain and Path/
    expectConfigError({ name: '__Host-id', secure: false }, message)
    expectConfigError({ name: '__Host-id', domain: 'example.com' }, message)
    expectConfigError({ name: '__Host-id', path: '/app' }, message)
    expectConfigError({ name: '__HOST-id', path: '/app' }, message)
  })

  it('rejects a sameSite value that is not one of the allowed ones', () => {
    for (const sameSite of ['LAX', 'strictly', '', 'constructor']) {
      expectConfigError(
        { sameSite: sameSite as CookieOptions['sameSite'] },
        /cookie\.sameSite .* use 'Strict', 'Lax' or 'None'/
      )
    }
  })

  it('rejects non-boolean flags', () => {
    const options = { secure: 'yes' } as unknown as CookieOptions
    expectConfigError(options, /cookie\.secure must be true or false/)
  })
})

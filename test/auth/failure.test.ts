import { describe, expect, it } from 'vitest'
import { prefersJson } from '../../src/auth/failure.js'

describe('prefersJson, the default answer of the auth helpers', () => {
  it.each([
    ['application/json', true],
    ['application/json, text/plain, */*', true], // axios
    ['application/problem+json', true],
    ['application/vnd.api+json;q=0.9, text/html;q=0.5', true],
    ['text/html;q=0.5, application/json', true],
    ['*/*, application/json', true], // the more specific range decides
    ['text/*;q=0.5, */*', true],
  ])('is true for %j', (accept, expected) => {
    expect(prefersJson(accept)).toBe(expected)
  })

  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false], // fetch() and curl
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false], // a browser
    ['text/plain, application/json', false],
    ['application/json;q=0', false],
    ['application/json;q=0.5, text/html', false],
    ['application/json;q=abc', false],
    ['application/xml', false],
  ])('is false for %j', (accept, expected) => {
    expect(prefersJson(accept)).toBe(expected)
  })

  it('reads only the first 32 ranges of a long header', () => {
    expect(prefersJson(`${'text/x-a;q=0.1, '.repeat(40)}application/json`)).toBe(false)
  })
})

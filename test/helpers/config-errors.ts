import { expect } from 'vitest'
import { isSessionError, type SessionError } from 'typed-sessions'

/**
 * The `SessionError` that `create` throws, asserted to have the code `CONFIG`: how the tests of
 * configuration mistakes (a middleware, a signer or a store built with wrong options) read it.
 */
export function configErrorOf(create: () => unknown): SessionError {
  try {
    create()
  } catch (error) {
    expect(isSessionError(error), String(error)).toBe(true)
    if (!isSessionError(error)) throw error
    expect(error.code).toBe('CONFIG')
    return error
  }
  throw new Error('expected a CONFIG error, but nothing was thrown')
}

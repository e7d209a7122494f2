import { isSessionError } from 'typed-sessions'

/**
 * What `create` throws, as `CODE: message` for a `SessionError` (else the error as a string), or
 * `'no error'`: for tests of configuration mistakes, which throw when a helper is created.
 * @example expect(codeAndMessage(() => createCsrf({ definition }))).toMatch(/^CONFIG: /)
 */
export function codeAndMessage(create: () => unknown): string {
  try {
    create()
  } catch (error) {
    return isSessionError(error) ? `${error.code}: ${error.message}` : String(error)
  }
  return 'no error'
}

/**
 * What `promise` rejects with, as `{ code, message }` for a `SessionError` (else the error as a
 * string), or `'no error'` when it resolves.
 * @example expect((await rejectionOf(session.bind(key))).code).toBe('CONFIG')
 */
export async function rejectionOf(
  promise: Promise<unknown>
): Promise<{ code: string; message: string } | string> {
  try {
    await promise
  } catch (error) {
    return isSessionError(error) ? { code: error.code, message: error.message } : String(error)
  }
  return 'no error'
}

import { $ZodOptional, $ZodString } from 'zod/v4/core'
import { fromBase64url, toBase64url } from '../core/base64url.js'
import { SessionError } from '../core/errors.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import { SENSITIVE, isMarked, markSchema } from '../schema/sensitive.js'

/** The mark of a session key declared with `csrfSecret()`. */
export const CSRF_SECRET: unique symbol = Symbol.for('typed-sessions.csrf-secret')

/** What `csrfSecret()` returns: an optional string, marked as the session's CSRF secret. */
export type CsrfSecretSchema = $ZodOptional<$ZodString> & { readonly [CSRF_SECRET]: true }

/** The bytes of a CSRF secret. */
export const SECRET_BYTES = 32

/**
 * Declares the session key that keeps the CSRF secret (an optional string). The mark tells
 * `createCsrf` which key to use, makes `auth.login` rotate the secret, and keeps the CLI from
 * printing it (it is `sensitive()`).
 * @example
 * const appSession = defineSession(z.object({ csrf: csrfSecret(), … }))
 * const csrf = createCsrf({ definition: appSession })
 */
export function csrfSecret(): CsrfSecretSchema {
  const schema = new $ZodOptional({
    type: 'optional',
    innerType: new $ZodString({ type: 'string' }),
  })
  return markSchema(markSchema(schema, SENSITIVE), CSRF_SECRET) as CsrfSecretSchema
}

/** The keys of the definition's schema declared with `csrfSecret()`. */
export function csrfKeysOf(definition: SessionDefinition<SessionSchema>): string[] {
  const shape = definition.schema._zod.def.shape
  return Object.keys(shape).filter((key) => isMarked(shape[key]!, CSRF_SECRET))
}

/**
 * The key `createCsrf` uses: `key` when given (it must be declared with `csrfSecret()`), else the
 * one key so declared.
 * @throws SessionError `CONFIG` naming the declaration to add
 */
export function csrfKeyOf(definition: SessionDefinition<SessionSchema>, key: unknown): string {
  const keys = csrfKeysOf(definition)
  if (key === undefined && keys.length === 1) return keys[0]!
  if (key === undefined) {
    throw new SessionError(
      'CONFIG',
      keys.length === 0
        ? 'createCsrf found no CSRF key in the session schema: add `csrf: csrfSecret()` (from typed-sessions/auth) to the z.object() given to defineSession().'
        : `createCsrf: the session schema declares several CSRF keys (${keys.join(', ')}); pass the one to use as \`key\`.`
    )
  }
  if (typeof key === 'string' && keys.includes(key)) return key
  throw new SessionError(
    'CONFIG',
    `createCsrf: declare "${String(key)}" as \`${String(key)}: csrfSecret()\` (from typed-sessions/auth) in the session schema: the mark makes login rotate the secret and keeps the CLI from printing it.`
  )
}

/** A new random secret, as stored. */
export function drawSecret(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))
}

/** The bytes of a stored secret, or undefined when `value` is none (or not one of ours). */
export function secretBytes(value: unknown): Uint8Array | undefined {
  const bytes = typeof value === 'string' ? fromBase64url(value) : undefined
  return bytes?.length === SECRET_BYTES ? bytes : undefined
}

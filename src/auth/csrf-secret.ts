import { $ZodOptional, $ZodString, safeParse, type $ZodType } from 'zod/v4/core'
import { fromBase64url, toBase64url } from '../core/base64url.js'
import { SessionError } from '../core/errors.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import { SENSITIVE, isMarked, markSchema, markSensitiveKey } from '../schema/sensitive.js'

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

/** Plain string keys that a `createCsrf` of the definition keeps its secret in. */
const plainKeys = new WeakMap<SessionDefinition<SessionSchema>, Set<string>>()

/**
 * The keys of the definition that hold a CSRF secret: those declared with `csrfSecret()`, and
 * plain string keys a `createCsrf` of it was given (`auth.login` rotates them all).
 */
export function csrfKeysOf(definition: SessionDefinition<SessionSchema>): string[] {
  const shape = definition.schema._zod.def.shape
  const marked = Object.keys(shape).filter((key) => isMarked(shape[key]!, CSRF_SECRET))
  const plain = [...(plainKeys.get(definition) ?? [])].filter((key) => !marked.includes(key))
  return [...marked, ...plain]
}

let warnedOfPlainKey = false

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
  const schema =
    typeof key === 'string' && Object.hasOwn(definition.schema._zod.def.shape, key)
      ? definition.schema._zod.def.shape[key]!
      : undefined
  // A plain `z.string().optional()` key works too: registered here, login rotates it and the
  // CLI of this process redacts it; only the mark reaches a CLI that loads the schema alone.
  if (schema !== undefined && holdsSecret(schema)) {
    const plain = plainKeys.get(definition) ?? new Set()
    plainKeys.set(definition, plain.add(key as string))
    markSensitiveKey(definition, key as string)
    warnOfPlainKey(key as string)
    return key as string
  }
  throw new SessionError(
    'CONFIG',
    `createCsrf: "${String(key)}" is not a string key of the session schema; declare it as \`${String(key)}: csrfSecret()\` (from typed-sessions/auth) in the z.object() given to defineSession().`
  )
}

/** True when the key's schema takes both a stored secret and no value. */
function holdsSecret(schema: $ZodType): boolean {
  return safeParse(schema, drawSecret()).success && safeParse(schema, undefined).success
}

function warnOfPlainKey(key: string): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  if (warnedOfPlainKey || env?.NODE_ENV === 'production') return
  warnedOfPlainKey = true
  console.warn(
    `typed-sessions: the CSRF secret's key "${key}" is a plain string; declare it as \`${key}: csrfSecret()\` (from typed-sessions/auth) so that the CLI redacts it even when it loads only the session definition.`
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

import type { $ZodType } from 'zod/v4/core'
import { safeParse } from 'zod/v4/core'
import { SessionError } from '../core/errors.js'
import type { SessionDefinition, SessionSchema } from './define-session.js'
import { describeIssues } from './issues.js'
import { isPlainSchema } from './plain-schema.js'
import { safeEncode } from './zod-encode.js'

/** The schema of `key`; `UNKNOWN_KEY` when the session schema has no such key. */
export function schemaOf(definition: SessionDefinition<SessionSchema>, key: string): $ZodType {
  const shape = definition.schema._zod.def.shape
  const schema = Object.hasOwn(shape, key) ? shape[key] : undefined
  if (schema === undefined) {
    throw new SessionError(
      'UNKNOWN_KEY',
      `"${key}" is not a key of the session schema; add it to the z.object() given to defineSession().`
    )
  }
  return schema
}

/**
 * `value` checked against `schema`, the schema of `key` (`schemaOf`), and turned into what is
 * stored; `INVALID_VALUE` (nothing changed) when it does not fit.
 */
export function encodeValue(key: string, schema: $ZodType, value: unknown): unknown {
  let result
  try {
    // `encode` turns an output value into the stored (input) form; for a schema without
    // codecs or transforms that is what `parse` does, far cheaper.
    result = isPlainSchema(schema) ? safeParse(schema, value) : safeEncode(schema, value)
  } catch (cause) {
    throw new SessionError(
      'INVALID_VALUE',
      `Session key "${key}" has a schema that cannot be stored (a one-way .transform()?); declare it with z.codec() so its value can be encoded to JSON and decoded back.`,
      { cause }
    )
  }
  if (!result.success) {
    throw new SessionError(
      'INVALID_VALUE',
      `Invalid value for session key "${key}": ${describeIssues(result.error.issues)}. Pass a value that matches the key's schema.`,
      { cause: result.error }
    )
  }
  return result.data
}

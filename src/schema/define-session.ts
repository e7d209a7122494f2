import type { $ZodIssue, $ZodObject } from 'zod/v4/core'
import { SessionError } from '../core/errors.js'

/** A session schema: a Zod object whose keys are the session's keys. */
export type SessionSchema = $ZodObject

/** What the invalid-data policy is told about stored data that does not fit the schema. */
export interface InvalidDataInfo {
  /** The session key whose stored value failed its schema. */
  key: string
  /** The Zod issues of that failure. */
  issues: readonly $ZodIssue[]
}

/**
 * What to do with stored data that does not fit the schema: `'drop'` reads it as absent and
 * removes it at the next save; `'throw'` raises `SessionError` `INVALID_STORED_DATA`; a function
 * decides case by case.
 */
export type OnInvalid = 'drop' | 'throw' | ((info: InvalidDataInfo) => 'drop' | 'throw')

/** Options of `defineSession`. */
export interface DefineSessionOptions {
  /** The invalid-stored-data policy. @default 'drop' */
  onInvalid?: OnInvalid
}

/** A session schema with its policies, as `sessionMiddleware` takes it. */
export interface SessionDefinition<S extends SessionSchema = SessionSchema> {
  /** The current schema. */
  readonly schema: S
  /** The schema version records are written under: its position in the chain, from 1. */
  readonly version: number
  /** The invalid-stored-data policy. */
  readonly onInvalid: OnInvalid
}

/** The schema of a definition, e.g. `SchemaOf<typeof appSession>`. */
export type SchemaOf<D> = D extends SessionDefinition<infer S> ? S : never

/**
 * Declares what a session holds: a `z.object` whose keys are the session's keys.
 * @example
 * export const counterSession = defineSession(z.object({ counter: z.number().int().default(0) }))
 */
export function defineSession<S extends SessionSchema>(
  schema: S,
  options: DefineSessionOptions = {}
): SessionDefinition<S> {
  if (schema?._zod?.def?.type !== 'object') {
    throw new SessionError(
      'CONFIG',
      'defineSession() takes a z.object({ ... }) whose keys are the session keys; wrap your schema in z.object().'
    )
  }
  const onInvalid = options.onInvalid ?? 'drop'
  if (onInvalid !== 'drop' && onInvalid !== 'throw' && typeof onInvalid !== 'function') {
    throw new SessionError(
      'CONFIG',
      `onInvalid must be 'drop', 'throw' or a function returning one of them, got ${String(onInvalid)}.`
    )
  }
  return Object.freeze({ schema, version: 1, onInvalid })
}

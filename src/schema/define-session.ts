import type { $ZodIssue, $ZodObject, $ZodType, input } from 'zod/v4/core'
import { SessionError } from '../core/errors.js'
import { unstorableReason } from './plain-schema.js'
import { Versioned, checkObjectSchema, type SchemaVersion } from './versioned.js'

/** A session schema: a Zod object whose keys are the session's keys. */
export type SessionSchema = $ZodObject

/** What the invalid-data policy is told about stored data that does not fit the schema. */
export interface InvalidDataInfo {
  /**
   * `'invalid-value'`: one key's stored value fails its schema (`key` says which).
   * `'migration-failed'`: a record of an older version cannot be upgraded.
   * `'newer-version'`: a record written by a newer version of the app (a rollback).
   * `'corrupt-record'`: the store holds a record it cannot decode (truncated JSON, a custom
   * store returning no data object); `'drop'` reads it as no session.
   */
  reason: 'invalid-value' | 'migration-failed' | 'newer-version' | 'corrupt-record'
  /** The session key whose stored value failed its schema, for `'invalid-value'`. */
  key?: string
  /** The schema version the record was written under (0 for a record that cannot be decoded). */
  storedVersion: number
  /** The version this app reads and writes. */
  currentVersion: number
  /** The Zod issues of the failure (empty for `'newer-version'`). */
  issues: readonly $ZodIssue[]
}

/**
 * What to do with stored data that does not fit the schema. `'drop'`: a value that fails reads
 * as absent and is removed at the next save; a record that cannot be migrated (or is from a newer
 * version) reads as an empty session and is only overwritten if the handler writes. `'throw'`:
 * `SessionError` `INVALID_STORED_DATA`. A function decides case by case.
 */
export type OnInvalid = 'drop' | 'throw' | ((info: InvalidDataInfo) => 'drop' | 'throw')

/** Options of `defineSession`. */
export interface DefineSessionOptions {
  /** The invalid-stored-data policy. @default 'drop' */
  onInvalid?: OnInvalid
}

/** A session schema with its history and policies, as `sessionMiddleware` takes it. */
export interface SessionDefinition<S extends SessionSchema = SessionSchema> {
  /** The current schema. */
  readonly schema: S
  /** The schema version records are written under: its position in the chain, from 1. */
  readonly version: number
  /** Every version, oldest first (one for a plain schema). */
  readonly versions: readonly SchemaVersion[]
  /** The invalid-stored-data policy. */
  readonly onInvalid: OnInvalid
}

/** The schema of a definition, e.g. `SchemaOf<typeof appSession>`. */
export type SchemaOf<D> = D extends SessionDefinition<infer S> ? S : never

/** A value JSON carries as it is: what a session key's schema must take as input. */
type JsonInput =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly JsonInput[]
  | { readonly [key: string]: JsonInput }

/** The keys of a schema whose input JSON cannot carry (a `z.date()`, `z.bigint()`, `z.map()`…). */
type UnstorableKeys<S extends SessionSchema> = {
  [K in keyof S['_zod']['def']['shape']]: unknown extends input<S['_zod']['def']['shape'][K]>
    ? never
    : input<S['_zod']['def']['shape'][K]> extends JsonInput
      ? never
      : K
}[keyof S['_zod']['def']['shape']]

/**
 * `unknown` for a schema JSON can store; for one that it cannot, a type whose only member names
 * the keys and the fix. (`defineSession` takes `StorableSchemaArgument`, whose error says more.)
 */
export type StorableSchema<S extends SessionSchema> = [UnstorableKeys<S>] extends [never]
  ? unknown
  : {
      'Session keys whose values JSON cannot store (use z.codec() to store them as strings)': UnstorableKeys<S>
    }

/** The compile error of `defineSession` for a key JSON cannot store: the whole fix, in one line. */
export type UnstorableKeyError<K extends PropertyKey> =
  `defineSession: session key '${K & string}' holds a value JSON cannot store (a Date, bigint, Map, Set…); declare it with a codec that stores a string, e.g. z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() })`

/**
 * What `defineSession` takes: the schema (or a `versioned` chain) when JSON can store it, else
 * the sentence of `UnstorableKeyError`, so the argument's error is that sentence rather than a
 * mismatch of Zod types that hides it. TypeScript still infers `S` from the argument: it infers
 * through both branches of a conditional type.
 */
export type StorableSchemaArgument<S extends SessionSchema> = [UnstorableKeys<S>] extends [never]
  ? S | Versioned<S>
  : UnstorableKeyError<UnstorableKeys<S>>

/**
 * Declares what a session holds: a `z.object` whose keys are the session's keys (version 1),
 * or a `versioned(...)` chain whose last schema is current and whose steps upgrade old records.
 * @example
 * export const counterSession = defineSession(z.object({ counter: z.number().int().default(0) }))
 */
export function defineSession<S extends SessionSchema>(
  schema: StorableSchemaArgument<S>,
  options: DefineSessionOptions = {}
): SessionDefinition<S> {
  const versions: readonly SchemaVersion[] =
    schema instanceof Versioned ? schema.versions : [{ schema: schema as S }]
  if (!(schema instanceof Versioned)) checkObjectSchema(schema)
  checkStorable(versions[versions.length - 1]!.schema)
  checkReservedKeys(versions)
  const onInvalid = options.onInvalid ?? 'drop'
  if (onInvalid !== 'drop' && onInvalid !== 'throw' && typeof onInvalid !== 'function') {
    throw new SessionError(
      'CONFIG',
      `onInvalid must be 'drop', 'throw' or a function returning one of them, got ${String(onInvalid)}.`
    )
  }
  return Object.freeze({
    schema: versions[versions.length - 1]!.schema as S,
    version: versions.length,
    versions,
    onInvalid,
  })
}

/** Applies the definition's policy to one case of invalid stored data. */
export function decideInvalid(
  definition: SessionDefinition,
  info: InvalidDataInfo
): 'drop' | 'throw' {
  const policy = definition.onInvalid
  return typeof policy === 'function' ? policy(info) : policy
}

/**
 * The data key under which the engine keeps what belongs to no schema key: the device details of
 * sessions per user (`typed-sessions/auth`). Carried over migrations; never shown by the typed
 * session (`keys()`, `toObject()` list the schema's keys only).
 */
export const RESERVED_DATA_KEY = '$session'

/** Throws `CONFIG` for a schema (of any version) that declares the reserved data key. */
function checkReservedKeys(versions: readonly SchemaVersion[]): void {
  for (const { schema } of versions) {
    if (!Object.hasOwn(schema._zod.def.shape, RESERVED_DATA_KEY)) continue
    throw new SessionError(
      'CONFIG',
      `Session key "${RESERVED_DATA_KEY}" is reserved: typed-sessions keeps the device details of sessions per user under it. Rename that key in the z.object() given to defineSession().`
    )
  }
}

/** Throws `CONFIG` for a key whose values JSON cannot store, naming it and the fix. */
function checkStorable(schema: SessionSchema): void {
  for (const [key, child] of Object.entries(schema._zod.def.shape)) {
    const reason = unstorableReason(child as $ZodType, key)
    if (reason === undefined) continue
    throw new SessionError(
      'CONFIG',
      `Session key "${key}" has ${reason}, which JSON cannot store. Declare it with a codec that stores a string, e.g. z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() }).`
    )
  }
}

import { util, type $ZodType } from 'zod/v4/core'
import { setOwn, type JsonObject, type JsonValue } from '../core/json.js'
import type { SessionDefinition } from './define-session.js'

/*
 * Marks on session schemas. A mark is a property of the schema object, keyed by a registered
 * symbol: it travels with the definition to wherever that is loaded (the CLI imports only the
 * definition module, never the app), and two copies of this package still agree on it.
 */

/** The mark of a value that tools must not show (`sensitive()`). */
export const SENSITIVE: unique symbol = Symbol.for('typed-sessions.sensitive')

/** What a redacted value reads as. */
export const REDACTED = '[redacted]'

/** Past this depth a value under a recursive schema is redacted whole: it cannot be checked. */
const MAX_DEPTH = 256

/** Puts `mark` on `schema` itself and returns it. */
export function markSchema<T extends $ZodType>(schema: T, mark: symbol): T {
  Object.defineProperty(schema, mark, { value: true })
  return schema
}

/** True when `schema`, or the schema it was cloned from (`.min()`, `.describe()`…), has `mark`. */
export function hasMark(schema: $ZodType, mark: symbol): boolean {
  for (let s: $ZodType | undefined = schema; s !== undefined; s = s._zod.parent) {
    if ((s as unknown as Record<symbol, unknown>)[mark] === true) return true
  }
  return false
}

type Def = Record<string, unknown> & { type: string }
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly'])

/** True when `schema` or a wrapper inside it (`.optional()`, `.default()`…) has `mark`. */
export function isMarked(schema: $ZodType, mark: symbol): boolean {
  for (let s: $ZodType | undefined = schema; s !== undefined;) {
    if (hasMark(s, mark)) return true
    const def = s._zod.def as unknown as Def
    s =
      WRAPPERS.has(def.type) || def.type === 'nonoptional' ? (def.innerType as $ZodType) : undefined
  }
  return false
}

/** The shapes of the objects `schema` accepts, through wrappers and unions. */
export function objectShapesOf(schema: $ZodType): Record<string, $ZodType>[] {
  const def = schema._zod.def as unknown as Def
  if (WRAPPERS.has(def.type) || def.type === 'nonoptional') {
    return objectShapesOf(def.innerType as $ZodType)
  }
  if (def.type === 'union') return (def.options as $ZodType[]).flatMap(objectShapesOf)
  return def.type === 'object' ? [def.shape as Record<string, $ZodType>] : []
}

/**
 * Marks a session value as sensitive: a secret, a hash, a token. The `typed-sessions` CLI
 * (`inspect`) shows it as `"[redacted]"`, and so does `redactSensitive`. Returns a marked copy
 * of `schema`, which validates as before.
 * @example
 * user: z.object({ id: z.string(), authHash: sensitive(z.string()).optional() }).optional()
 */
export function sensitive<T extends $ZodType>(schema: T): T {
  return markSchema(util.clone(schema), SENSITIVE)
}

/** Top-level keys marked sensitive at run time (a plain key `createCsrf` keeps its secret in). */
const sensitiveKeys = new WeakMap<SessionDefinition, Set<string>>()

/** Marks a top-level key of `definition` sensitive in this process: `redactSensitive` hides it. */
export function markSensitiveKey(definition: SessionDefinition, key: string): void {
  sensitiveKeys.set(definition, (sensitiveKeys.get(definition) ?? new Set()).add(key))
}

/**
 * A property name that always holds a credential, whatever its schema says: `createAuth`'s
 * `authHash` is redacted even where it is declared as a plain `z.string()`.
 */
const CREDENTIAL_NAMES = new Set(['authHash'])

/**
 * A copy of stored session `data` with every value that a schema of `definition` (of any of its
 * versions) marks `sensitive()` replaced by `"[redacted]"`, however deep; so are `authHash`
 * fields and keys marked in this process (a plain key `createCsrf` keeps its secret in).
 * @example console.log(redactSensitive(appSession, record.data))
 */
export function redactSensitive(definition: SessionDefinition, data: JsonObject): JsonObject {
  let redacted: JsonValue = data
  for (const { schema } of definition.versions) redacted = redact(schema, redacted, 0)
  const copy: JsonObject = {}
  for (const [key, value] of Object.entries(redacted as JsonObject)) {
    const hidden = sensitiveKeys.get(definition)?.has(key) === true
    setOwn(copy, key, hidden ? REDACTED : redactCredentials(value, 0))
  }
  return copy
}

/** `value` with every `authHash` field replaced, however deep (bounded like `redact`). */
function redactCredentials(value: JsonValue, depth: number): JsonValue {
  if (typeof value !== 'object' || value === null) return value
  if (depth > MAX_DEPTH) return REDACTED
  if (Array.isArray(value)) return value.map((item) => redactCredentials(item, depth + 1))
  const copy: JsonObject = {}
  for (const [key, item] of Object.entries(value)) {
    setOwn(copy, key, CREDENTIAL_NAMES.has(key) ? REDACTED : redactCredentials(item, depth + 1))
  }
  return copy
}

const isObject = (value: JsonValue): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function redact(schema: $ZodType | undefined, value: JsonValue, depth: number): JsonValue {
  if (schema === undefined) return value
  if (hasMark(schema, SENSITIVE)) return REDACTED
  if (depth > MAX_DEPTH) return REDACTED
  const def = schema._zod.def as unknown as Def
  const next = depth + 1
  const child = (name: string) => def[name] as $ZodType | undefined
  if (WRAPPERS.has(def.type) || def.type === 'nonoptional') {
    return redact(child('innerType'), value, next)
  }
  switch (def.type) {
    case 'pipe':
      // Stored values are the pipe's input; a mark on its output hides them too.
      return redact(child('out'), redact(child('in'), value, next), next)
    case 'lazy':
      return redact((def.getter as () => $ZodType)(), value, next)
    case 'union':
      return (def.options as $ZodType[]).reduce((v, option) => redact(option, v, next), value)
    case 'intersection':
      return redact(child('right'), redact(child('left'), value, next), next)
    case 'array':
      return Array.isArray(value)
        ? value.map((item) => redact(child('element'), item, next))
        : value
    case 'tuple': {
      if (!Array.isArray(value)) return value
      const items = def.items as $ZodType[]
      return value.map((item, i) => redact(items[i] ?? child('rest'), item, next))
    }
    case 'object':
    case 'record': {
      if (!isObject(value)) return value
      const shape = def.type === 'object' ? (def.shape as Record<string, $ZodType>) : {}
      const rest = def.type === 'object' ? child('catchall') : child('valueType')
      const copy: JsonObject = {}
      for (const [key, item] of Object.entries(value)) {
        setOwn(copy, key, redact(Object.hasOwn(shape, key) ? shape[key] : rest, item, next))
      }
      return copy
    }
    default:
      return value
  }
}

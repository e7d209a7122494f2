import { SessionError } from './errors.js'

/** A value JSON carries as-is. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
/** A JSON object: the shape of session data. */
export type JsonObject = { [key: string]: JsonValue }

/**
 * A deep copy of `value` if JSON carries it unchanged, else a `SessionError` `INVALID_VALUE`
 * that names the offending path. A Date, bigint, Map, function, `undefined`, a non-finite
 * number or a cycle would be changed or lost by JSON, so they are refused, never coerced.
 */
export function cloneJson(value: unknown, key: string): JsonValue {
  // Most session values are strings, numbers and booleans: no bookkeeping for those.
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isFinite(value)) return value
  return cloneAt(value, key, [], new Set())
}

function cloneAt(value: unknown, key: string, path: string[], seen: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return value
      return refuse(key, path, `${value} (JSON would turn it into null)`)
    case 'object': {
      if (value === null) return null
      if (seen.has(value)) return refuse(key, path, 'a circular reference')
      seen.add(value)
      let copy: JsonValue
      if (Array.isArray(value)) {
        copy = value.map((item, index) => cloneAt(item, key, [...path, String(index)], seen))
      } else {
        const proto = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) {
          const kind = (value as object).constructor?.name ?? 'object'
          return refuse(key, path, `a ${kind} (JSON cannot carry it as-is)`)
        }
        const object: JsonObject = {}
        for (const [name, item] of Object.entries(value)) {
          setOwn(object, name, cloneAt(item, key, [...path, name], seen))
        }
        copy = object
      }
      seen.delete(value)
      return copy
    }
    default:
      return refuse(key, path, `a ${typeof value} (JSON cannot carry it)`)
  }
}

function refuse(key: string, path: string[], what: string): never {
  const where = path.length === 0 ? `session key "${key}"` : `"${key}.${path.join('.')}"`
  throw new SessionError(
    'INVALID_VALUE',
    `Cannot store ${what} at ${where}: session values are JSON. Convert it (e.g. a Date to an ISO string), or declare a Zod codec for this key.`
  )
}

/**
 * Sets an own data property. Assigning `object['__proto__'] = value` would replace the object's
 * prototype instead, so that one key is defined, not assigned (the rest stay on the fast path).
 */
export function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  } else {
    object[key] = value
  }
}

/** A deep copy of a value already known to be JSON. */
export function copyJson<T extends JsonValue>(value: T): T {
  return typeof value === 'object' && value !== null ? (structuredClone(value) as T) : value
}

/** Deep equality of two JSON values (key order does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, index) => jsonEqual(item, b[index]))
  }
  if (Array.isArray(b)) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
}

/** A JSON object with the entries of `data` (a `__proto__` key stays data). */
export function objectFromMap(data: Map<string, JsonValue>): JsonObject {
  const object: JsonObject = {}
  for (const [key, value] of data) {
    setOwn(object, key, value)
  }
  return object
}

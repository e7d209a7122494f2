import { SessionError } from './errors.js'

/** A value JSON carries as-is. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
/** A JSON object: the shape of session data. */
export type JsonObject = { [key: string]: JsonValue }

/**
 * How deeply a stored value may nest. Deeper values overflow the call stack of JSON.stringify,
 * structuredClone and every store's codec (10,000 levels did), so they are refused up front.
 */
export const MAX_JSON_DEPTH = 100

/**
 * A deep copy of `value` if JSON carries it unchanged, else a `SessionError` `INVALID_VALUE`
 * that names the offending path. A Date, bigint, Map, function, `undefined`, a non-finite
 * number, a cycle, a string that is not well-formed Unicode (a lone surrogate: no UTF-8
 * store can hold it) or nesting deeper than `MAX_JSON_DEPTH` would be changed, lost or refused
 * on the way to the store, so they are refused here, never coerced.
 */
export function cloneJson(value: unknown, key: string): JsonValue {
  // Most session values are strings, numbers and booleans: no bookkeeping for those.
  if (typeof value === 'string' && isWellFormed(value)) return value
  if (typeof value === 'boolean') return value
  if (typeof value === 'number' && Number.isFinite(value)) return value
  return cloneAt(value, key, [], new Set())
}

/** `String.prototype.isWellFormed` (ES2024, on every runtime we support; not in our TS lib). */
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed()
}

function cloneAt(value: unknown, key: string, path: string[], seen: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
      if (isWellFormed(value)) return value
      return refuse(key, path, 'a string with a lone surrogate (not well-formed Unicode)')
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return value
      return refuse(key, path, `${value} (JSON would turn it into null)`)
    case 'object': {
      if (value === null) return null
      if (seen.has(value)) return refuse(key, path, 'a circular reference')
      if (path.length >= MAX_JSON_DEPTH) {
        return refuse(
          key,
          path.slice(0, 3).concat('…'),
          `a value nested over ${MAX_JSON_DEPTH} levels deep`
        )
      }
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
          if (!isWellFormed(name)) {
            return refuse(
              key,
              path,
              'an object key with a lone surrogate (not well-formed Unicode)'
            )
          }
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

/**
 * A deep copy of a value already known to be JSON. A stored value too deep to copy (written by
 * something other than this engine) is `INVALID_STORED_DATA`, never a stack overflow.
 */
export function copyJson<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  try {
    return structuredClone(value) as T
  } catch (cause) {
    throw new SessionError(
      'INVALID_STORED_DATA',
      `A stored session value cannot be read (nested too deeply?); values are limited to ${MAX_JSON_DEPTH} levels.`,
      { cause }
    )
  }
}

/**
 * `value` deeply frozen, in place, and returned: the engine hands its values out without a copy,
 * so a handler that mutates one gets a `TypeError` (strict mode) instead of a change that is
 * silently never saved. A value whose top level is frozen already was frozen by this engine (at
 * `set`, or at an earlier read) and is returned as it is. A stored value too deep to be written
 * back (`MAX_JSON_DEPTH`: written by something other than this engine) is `INVALID_STORED_DATA`,
 * and nothing of it is frozen. Walked with an explicit stack, like `nestsDeeperThan`.
 */
export function freezeJson<T extends JsonValue | undefined>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  const objects: object[] = []
  const pending: object[] = [value]
  const depths: number[] = [1]
  while (pending.length > 0) {
    const current = pending.pop() as JsonObject
    const depth = depths.pop()!
    if (depth > MAX_JSON_DEPTH) {
      throw new SessionError(
        'INVALID_STORED_DATA',
        `A stored session value cannot be read: it nests over ${MAX_JSON_DEPTH} levels deep, more than session values may.`,
        { cause: new RangeError(`nested over ${MAX_JSON_DEPTH} levels`) }
      )
    }
    objects.push(current)
    for (const key in current) {
      const item = current[key]!
      if (typeof item === 'object' && item !== null && !Object.isFrozen(item)) {
        pending.push(item)
        depths.push(depth + 1)
      }
    }
  }
  // Innermost last in the walk: frozen first, so a value is never frozen above unfrozen parts.
  for (let i = objects.length - 1; i >= 0; i--) Object.freeze(objects[i])
  return value
}

/**
 * True when `value` nests objects or arrays more than `levels` deep (the value itself is the
 * first level), as `cloneJson` counts them. Walked with an explicit stack, not recursion: it
 * must not overflow on the very values it is there to catch.
 */
export function nestsDeeperThan(value: JsonValue, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  const pending: JsonValue[] = [value]
  const depths: number[] = [1]
  while (pending.length > 0) {
    const current = pending.pop() as JsonValue[] | JsonObject
    const depth = depths.pop()!
    if (depth > levels) return true
    for (const key in current) {
      const item = (current as JsonObject)[key]!
      if (typeof item === 'object' && item !== null) {
        pending.push(item)
        depths.push(depth + 1)
      }
    }
  }
  return false
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

/**
 * Refuses with `INVALID_VALUE` a value whose JSON takes more than `maxBytes` bytes of UTF-8
 * (`what` names it in the message, e.g. "The session").
 */
export function checkJsonSize(value: JsonValue, maxBytes: number, what: string): void {
  if (jsonBytesAtMost(value, maxBytes)) return
  let json: string
  try {
    json = JSON.stringify(value)
  } catch (cause) {
    throw new SessionError(
      'INVALID_VALUE',
      `${what} cannot be written as JSON (nested too deeply?).`,
      {
        cause,
      }
    )
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most sessions are decided without encoding.
  if (json.length * 3 <= maxBytes) return
  const bytes = new TextEncoder().encode(json).length
  if (bytes <= maxBytes) return
  throw new SessionError(
    'INVALID_VALUE',
    `${what} takes ${bytes} bytes of JSON, over the session size limit of ${maxBytes} (maxSize). Keep large data in your database and only its id in the session, or raise maxSize.`
  )
}

/**
 * True when a cheap upper bound shows that `value`'s JSON fits in `maxBytes` (most sessions:
 * a few short keys with numbers, booleans and short strings), so no `JSON.stringify` is needed.
 * Objects and arrays nested in it are not walked: for those it answers false.
 */
function jsonBytesAtMost(value: JsonValue, maxBytes: number): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  let bound = 2
  for (const key in value) {
    const item = value[key]
    // A UTF-16 unit takes at most 6 bytes of JSON (an escape); a number at most 24 characters.
    if (typeof item === 'string') bound += (key.length + item.length) * 6 + 6
    else if (typeof item === 'object' && item !== null) return false
    else bound += key.length * 6 + 30
    if (bound > maxBytes) return false
  }
  return true
}

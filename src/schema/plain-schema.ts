import type { $ZodType } from 'zod/v4/core'

/**
 * Schema kinds whose parse of an output value validates it and returns it unchanged in form
 * (at most stripped of unknown object keys): for these, `parse` is a faithful and ~40× cheaper
 * stand-in for `encode`. Anything else (codecs, transforms, pipes, `.catch()`, lazy schemas…)
 * keeps the real `encode`.
 */
const TRANSPARENT = new Set([
  'string',
  'number',
  'boolean',
  'null',
  'literal',
  'enum',
  'template_literal',
  'any',
  'unknown',
  'object',
  'array',
  'tuple',
  'record',
  'union',
  'intersection',
  'optional',
  'nullable',
  'default',
  'readonly',
  'nonoptional',
])

const cache = new WeakMap<$ZodType, boolean>()

/** True when `schema` (and everything in it) is transparent: no codec or transform anywhere. */
export function isPlainSchema(schema: $ZodType): boolean {
  let plain = cache.get(schema)
  if (plain === undefined) {
    plain = check(schema, new Set())
    cache.set(schema, plain)
  }
  return plain
}

function check(schema: $ZodType, seen: Set<$ZodType>): boolean {
  if (seen.has(schema)) return true
  seen.add(schema)
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string }
  if (!TRANSPARENT.has(def.type)) return false
  const children: unknown[] = []
  switch (def.type) {
    case 'object':
      children.push(...Object.values(def.shape as object), def.catchall)
      break
    case 'array':
      children.push(def.element)
      break
    case 'tuple':
      children.push(...(def.items as unknown[]), def.rest)
      break
    case 'record':
      children.push(def.keyType, def.valueType)
      break
    case 'union':
      children.push(...(def.options as unknown[]))
      break
    case 'intersection':
      children.push(def.left, def.right)
      break
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
    case 'nonoptional':
      children.push(def.innerType)
      break
  }
  return children.every((child) => child == null || check(child as $ZodType, seen))
}

/** Schema kinds whose values JSON cannot carry as they are, with what to do instead. */
const UNSTORABLE: Record<string, string> = {
  date: 'a z.date()',
  bigint: 'a z.bigint()',
  map: 'a z.map()',
  set: 'a z.set()',
  symbol: 'a z.symbol()',
  function: 'a z.function()',
  promise: 'a z.promise()',
  nan: 'a z.nan()',
  file: 'a z.file()',
  transform: 'a one-way .transform()',
}

/**
 * Why JSON cannot store the values of `schema`, naming where (`path`), or `undefined` when it
 * can. A codec is judged by its stored (input) side: that is what reaches the store.
 */
export function unstorableReason(schema: $ZodType, path: string): string | undefined {
  return findUnstorable(schema, path, new Set())
}

function findUnstorable(schema: $ZodType, path: string, seen: Set<$ZodType>): string | undefined {
  if (seen.has(schema)) return undefined
  seen.add(schema)
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string }
  const what = UNSTORABLE[def.type]
  if (what !== undefined) return `${what} at ${path}`
  const at = (child: unknown, suffix = ''): string | undefined =>
    child == null ? undefined : findUnstorable(child as $ZodType, path + suffix, seen)
  switch (def.type) {
    case 'object': {
      for (const [key, child] of Object.entries(def.shape as object)) {
        const found = at(child, `.${key}`)
        if (found !== undefined) return found
      }
      return at(def.catchall, '.*')
    }
    case 'array':
      return at(def.element, '[]')
    case 'tuple':
      return [...(def.items as unknown[]), def.rest].map((item) => at(item, '[]')).find(Boolean)
    case 'record':
      return at(def.valueType, '.*')
    case 'union':
      return (def.options as unknown[]).map((option) => at(option)).find(Boolean)
    case 'intersection':
      return at(def.left) ?? at(def.right)
    case 'pipe':
      // A codec stores its input side; any other pipe must be storable on both.
      return def.reverseTransform !== undefined ? at(def.in) : (at(def.in) ?? at(def.out))
    case 'lazy':
      return at((def.getter as () => unknown)())
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return at(def.innerType)
    default:
      return undefined
  }
}

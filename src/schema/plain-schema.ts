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

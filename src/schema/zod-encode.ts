import * as core from 'zod/v4/core'
import { isPlainSchema } from './plain-schema.js'

/**
 * `safeEncode` of zod >= 4.1. The `zod/v4/core` of zod 3.25 (and zod 4.0) has none: there a
 * schema without codecs or transforms encodes as `safeParse` does, and anything else says what
 * it needs.
 */
export const safeEncode: typeof core.safeEncode =
  core.safeEncode ??
  ((schema, value) => {
    if (isPlainSchema(schema)) return core.safeParse(schema, value) as never
    throw new TypeError('Codecs need zod 4.1 or later (zod.encode is missing from this zod).')
  })

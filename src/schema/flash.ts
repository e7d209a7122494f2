import { $ZodArray, $ZodDefault, type $ZodType } from 'zod/v4/core'
import { jsonEqual, type JsonValue } from '../core/json.js'

/**
 * Declares a flash key: a list of `message` values, empty by default, that `session.flash(key,
 * message)` appends to and `session.consumeFlash(key)` reads and removes, so each message is
 * shown once (typically on the page after a redirect).
 * @example
 * const appSession = defineSession(z.object({
 *   notices: flash(z.object({ kind: z.enum(['info', 'error']), text: z.string() })),
 * }))
 */
export function flash<T extends $ZodType>(message: T): $ZodDefault<$ZodArray<T>> {
  const list = new $ZodArray({ type: 'array', element: message })
  return new $ZodDefault({
    type: 'default',
    innerType: list,
    get defaultValue() {
      return []
    },
  }) as $ZodDefault<$ZodArray<T>>
}

/**
 * How many of the first messages of `fresh` (a flash list as a concurrent save left it) are
 * ones that a `consumeFlash` showed (`shown`: the whole list as it read it). Flashing only
 * appends, and a page only removes what it showed, so what is still there of `shown` is its end,
 * at the front of `fresh` (another page may have shown and removed its first messages
 * meanwhile). The longest such overlap is taken.
 */
export function shownPrefix(fresh: readonly JsonValue[], shown: readonly JsonValue[]): number {
  for (let count = Math.min(fresh.length, shown.length); count > 0; count--) {
    const offset = shown.length - count
    let same = true
    for (let i = 0; i < count && same; i++) same = jsonEqual(fresh[i], shown[offset + i])
    if (same) return count
  }
  return 0
}

import { $ZodArray, $ZodDefault, type $ZodType } from 'zod/v4/core'

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

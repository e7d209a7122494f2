import { z } from 'zod'
import { defineSession, versioned } from 'typed-sessions'

/**
 * The history of the migration example's session schema, as an app accumulates it. Each
 * release appends a version; none is ever edited or removed once deployed.
 */

/** Version 1: the first release counted visits in `count`. */
export const appSchemaV1 = z.object({ count: z.number().int().nonnegative() })

/** Version 2: `count` was renamed `counter`. */
export const appSchemaV2 = z.object({ counter: z.number().int().nonnegative() })

/**
 * Version 3: a logged-in user, a counter that starts at 0 when absent, and a role that every
 * session carries: the upgrade makes a returning visitor (a counter above 0) a `customer`.
 */
export const appSchemaV3 = z.object({
  counter: z.number().int().nonnegative().default(0),
  user: z.object({ id: z.string(), name: z.string() }).optional(),
  role: z.enum(['guest', 'customer']),
})

/** The chain of versions 1 → 2 → 3: each step is typed from one schema to the next. */
export const appSchemaHistory = versioned(appSchemaV1)
  .migrate(appSchemaV2, (v1) => ({ counter: v1.count }))
  // Not an identity: a chain that skipped this step would fail version 3 (no role).
  .migrate(appSchemaV3, (v2) => ({
    counter: v2.counter,
    role: v2.counter > 0 ? ('customer' as const) : ('guest' as const),
  }))

/** The current definition (version 3), as the app uses it. */
export const appSession = defineSession(appSchemaHistory)

/** The app as its first release defined it (version 1): writes records an upgrade must read. */
export const appSessionV1 = defineSession(appSchemaV1)

/** The app as its second release defined it (version 2). */
export const appSessionV2 = defineSession(
  versioned(appSchemaV1).migrate(appSchemaV2, (v1) => ({ counter: v1.count }))
)

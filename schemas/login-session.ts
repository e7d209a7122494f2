import { z } from 'zod'
import { defineSession, sensitive } from 'typed-sessions'
import { csrfSecret } from 'typed-sessions/auth'

/**
 * A session with a login, a CSRF secret and a counter, for the auth helper and CLI tests. The
 * auth hash and the CSRF secret are marked: the CLI, which loads only this module, redacts them.
 */
export const loginSession = defineSession(
  z.object({
    counter: z.number().int().default(0),
    user: z.object({ id: z.string(), authHash: sensitive(z.string()).optional() }).optional(),
    csrf: csrfSecret(),
  })
)

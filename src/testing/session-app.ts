import { Hono } from 'hono'
import { sessionMiddleware, type SessionEnv, type SessionMiddlewareOptions } from '../hono/index.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'

/** A secret long enough for the middleware, for the suites' apps. */
export const SECRET = 'test secret: at least thirty-two characters long'

/** A Hono app with the session middleware, for routing tests through `app.request()`. */
export function sessionApp<S extends SessionSchema>(
  definition: SessionDefinition<S>,
  options: Partial<SessionMiddlewareOptions> = {}
) {
  const app = new Hono<SessionEnv<SessionDefinition<S>>>()
  app.use(sessionMiddleware(definition, { secret: SECRET, ...options }))
  return app
}

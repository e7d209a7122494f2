import { SessionError } from '../core/errors.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import { TypedSession } from '../schema/typed-session.js'

/** The `c.var` key `sessionMiddleware` puts the typed session on unless told otherwise. */
export const DEFAULT_CONTEXT_KEY = 'session'

/**
 * Throws `CONFIG` unless `key` is a key of the definition's schema: a helper configured with a
 * key the schema lacks would fail on every request instead of at start-up.
 */
export function checkSchemaKey(
  definition: SessionDefinition<SessionSchema>,
  key: string,
  helper: string,
  declaration: string
): void {
  checkDefinition(definition, helper)
  if (typeof key !== 'string' || !Object.hasOwn(definition.schema._zod.def.shape, key)) {
    throw new SessionError(
      'CONFIG',
      `${helper}: "${String(key)}" is not a key of the session schema. Add it to the z.object() given to defineSession(), e.g. ${declaration}.`
    )
  }
}

/** Throws `CONFIG` unless `definition` is the result of `defineSession()`. */
export function checkDefinition(definition: SessionDefinition<SessionSchema>, helper: string) {
  if (typeof definition !== 'object' || definition === null || !('schema' in definition)) {
    throw new SessionError(
      'CONFIG',
      `${helper} needs \`definition\`: the result of defineSession(), the one your sessionMiddleware uses.`
    )
  }
}

/** Anything with Hono's `c.get`: the helpers read the session without importing Hono. */
interface HasVariables {
  get(key: string): unknown
}

/**
 * The typed session the session middleware put on the context under `contextKey`.
 * @throws SessionError `CONFIG` when there is none: the helper runs before the session middleware
 */
export function sessionOf<S extends SessionSchema>(
  c: HasVariables,
  contextKey: string,
  helper: string
): TypedSession<S> {
  const session = c.get(contextKey)
  if (!(session instanceof TypedSession)) {
    throw new SessionError(
      'CONFIG',
      `${helper} found no session on c.var.${contextKey}. Register sessionMiddleware() before it (app.use(sessionMiddleware(...)) comes first), or pass the contextKey that middleware uses.`
    )
  }
  return session as TypedSession<S>
}

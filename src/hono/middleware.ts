import type { Context, MiddlewareHandler } from 'hono'
import { checkCookieNameClash, type Registration } from './cookie-name-clash.js'
import { writeHeaders } from './response-headers.js'
import { clientInfoOf, peerAddressOf, type ClientIpOf } from './client-info.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import type { TypedSession } from '../schema/typed-session.js'
import type { OpenedSession, OpenSessionFrom } from '../web/opened-session.js'
import type { RequestSession } from '../web/request-session.js'
import { configError, shown } from '../web/option-messages.js'
import { checkSessionOptions } from '../web/option-checks.js'
import type { SessionOptions } from '../web/options.js'
import { SessionCore } from '../web/session-core.js'
import { tokenOf } from '../web/transport.js'

/**
 * The Hono environment that types `c.var.session` (or `c.var[contextKey]`) for a session
 * definition.
 * @example new Hono<SessionEnv<typeof appSession>>()
 * @example new Hono<SessionEnv<typeof adminSession, 'admin'>>() // c.var.admin
 */
export type SessionEnv<
  D extends SessionDefinition<SessionSchema> | SessionSchema,
  K extends string = 'session',
> = {
  Variables: {
    [P in K]: D extends SessionDefinition<infer S>
      ? TypedSession<S>
      : D extends SessionSchema
        ? TypedSession<D>
        : never
  }
}

/** Options of `sessionMiddleware`: the shared `SessionOptions`, and Hono's own. */
export interface SessionMiddlewareOptions<K extends string = 'session'> extends SessionOptions {
  /**
   * The `c.var` key the typed session is put on, so that two sessions (say an admin one and a
   * visitor one, with different cookie names) can live in one app. @default 'session'
   */
  contextKey?: K
  /**
   * Where the client's IP address comes from, for `session.client.ip` (the device details of
   * sessions per user). Behind a proxy, name the header it sets, e.g.
   * `(c) => c.req.header('x-real-ip')`; never trust a header the client can set itself.
   * @default the connection's peer address as the runtime reports it (Node, Bun, Deno; on
   * Cloudflare Workers, `CF-Connecting-IP`)
   */
  clientIp?: ClientIpOf
}

/**
 * What `sessionMiddleware` returns: the Hono middleware, which also opens sessions outside a
 * request (a WebSocket's messages, a job) with the same options.
 */
export type SessionMiddleware<
  S extends SessionSchema,
  K extends string = 'session',
> = MiddlewareHandler<SessionEnv<SessionDefinition<S>, K>> & {
  /**
   * The session a `Cookie` header or a token names, loaded, with every guarantee of the
   * middleware (signature, validation, compare-and-set, logout wins); `commit()` saves it.
   * @example
   * const opened = await sessions.openSession({ cookie: c.req.header('cookie') })
   */
  openSession(from?: OpenSessionFrom): Promise<OpenedSession<S>>
}

/** Hono's own options and the check of a value given for each. */
const HONO_OPTIONS = {
  contextKey: (value: unknown) => {
    if (typeof value === 'string' && value !== '') return
    throw configError('contextKey is the c.var key of the session, a non-empty string.')
  },
  clientIp: (value: unknown) => {
    if (typeof value === 'function') return
    throw configError(
      `clientIp is a function of the context returning the client's IP address, e.g. (c) => c.req.header('x-real-ip'), got ${shown(value)}; omit it for the connection's peer address.`
    )
  },
}

/**
 * Sessions for Hono: reads and verifies the cookie (or the token header), puts a `TypedSession`
 * on `c.var.session`, and after the handler saves and sets the cookie, removes it, or does
 * nothing (Django's rule). Configuration mistakes throw here, when the middleware is created.
 * @example
 * const app = new Hono<SessionEnv<typeof counterSession>>()
 * app.use(sessionMiddleware(counterSession, { secret: process.env.SESSION_SECRET! }))
 */
export function sessionMiddleware<S extends SessionSchema, K extends string = 'session'>(
  definitionOrSchema: SessionDefinition<S> | S,
  options: SessionMiddlewareOptions<K>
): SessionMiddleware<S, K> {
  checkSessionOptions(options, 'sessionMiddleware', HONO_OPTIONS)
  const core = new SessionCore(definitionOrSchema, options)
  const contextKey: string = options.contextKey ?? 'session'
  const registration: Registration = { cookieName: core.cookie.name, contextKey }
  const clientIp = options.clientIp ?? peerAddressOf
  const transport = core.transport
  const vary = transport.vary

  /** After the handler: save and answer, then refuse later changes (see `close`). */
  const after = (c: Context, request: RequestSession<S>): Promise<void> | undefined => {
    let finishing: Promise<void> | undefined
    try {
      // An untouched session needs nothing after the handler, not even an async step.
      if (core.needsFinish(request)) {
        // On an in-process store the save is done at once: no promise.
        finishing = core.finish(request, c.res.status)
        if (finishing === undefined) writeHeaders(c, request)
      }
    } finally {
      // From here on the response is decided: a change from a stream would be lost, so it
      // throws. A save still under way closes the session once it is done.
      if (finishing === undefined) request.engine.close()
    }
    return finishing?.then(() => writeHeaders(c, request)).finally(() => request.engine.close())
  }

  // Not an async function: the one promise made here is the `then` of the handler's.
  const middleware: MiddlewareHandler = function session(c, next) {
    const token = transport.header
      ? tokenOf(c.req.header(transport.requestName), transport)
      : undefined
    const request = core.open(c.req.header('cookie'), token, clientInfoOf(c, clientIp), () => {
      // Before the handler builds its response, a header is a cheap part of it; the check
      // after the handler adds it only to a response built without Hono's helpers.
      if (!c.finalized) c.header('Vary', vary, { append: true })
    })
    checkCookieNameClash(c, registration)
    c.set(contextKey as never, request.session as never)
    return next().then(() => after(c, request))
  }
  return Object.assign(middleware, {
    openSession: (from?: OpenSessionFrom) => core.openSession(from),
  }) as SessionMiddleware<S, K>
}

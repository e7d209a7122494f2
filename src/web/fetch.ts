import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import type { ClientInfo } from '../schema/session-types.js'
import type { TypedSession } from '../schema/typed-session.js'
import type { OpenedSession, OpenSessionFrom } from './opened-session.js'
import { checkSessionOptions } from './option-checks.js'
import { configError, shown } from './option-messages.js'
import type { SessionOptions } from './options.js'
import { peerAddress } from './peer-address.js'
import { applySessionHeaders } from './response-headers.js'
import type { RequestSession } from './request-session.js'
import { SessionCore } from './session-core.js'
import { tokenOf } from './transport.js'

/*
 * `typed-sessions/fetch`: sessions for any server that speaks the Fetch API (`Request` in,
 * `Response` out): `Bun.serve`, `Deno.serve`, a Cloudflare Worker's `fetch`, Node through
 * `@hono/node-server`, and frameworks that hand out a `Request` (h3, Elysia, SvelteKit, …).
 * The rules are the Hono middleware's: both are thin layers over one request core.
 */

/** Where the client's IP address comes from: the request, and what the runtime passed beside it. */
export type FetchClientIpOf = (request: Request, env: unknown) => string | undefined

/** Options of `fetchSessions`: the shared `SessionOptions`, and the Fetch adapter's own. */
export interface FetchSessionsOptions extends SessionOptions {
  /**
   * Where the client's IP address comes from, for `session.client.ip`. Behind a proxy, name the
   * header it sets, e.g. `(request) => request.headers.get('x-real-ip') ?? undefined`; never
   * trust a header the client can set itself.
   * @default the peer address the runtime passes beside the request (Bun's server, Deno's info,
   * `@hono/node-server`'s `incoming`; on Cloudflare Workers, `CF-Connecting-IP`)
   */
  clientIp?: FetchClientIpOf
}

/** A fetch handler that is given the request's typed session. */
export type SessionHandler<S extends SessionSchema, A extends unknown[]> = (
  request: Request,
  session: TypedSession<S>,
  ...rest: A
) => Response | Promise<Response>

/** One request's session, opened by hand: `respond` finishes it onto the handler's Response. */
export interface FetchRequestSession<S extends SessionSchema> {
  /** The typed session of the request. */
  readonly session: TypedSession<S>
  /**
   * Saves the session when it changed (unless `response` is a 5xx), then returns `response`
   * with the session's headers (`Set-Cookie`, the token, `Vary`, `Cache-Control: private`); a
   * Response with immutable headers is copied. After it, changes throw `RESPONSE_STARTED`.
   */
  respond(response: Response): Promise<Response>
}

/** What `fetchSessions` returns. */
export interface FetchSessions<S extends SessionSchema> {
  /**
   * Wraps a fetch handler: it is given the session after the request, and the response it
   * returns carries the session's headers. Whatever the runtime passes after the request (a
   * Worker's `env` and `ctx`, Bun's `server`) is passed on.
   */
  handle<A extends unknown[]>(
    handler: SessionHandler<S, A>
  ): (request: Request, ...rest: A) => Promise<Response>
  /** Opens the session of `request` by hand (for a framework that builds its own Response). */
  open(request: Request, env?: unknown): FetchRequestSession<S>
  /**
   * Outside a request: the session a `Cookie` header or a token names, loaded, with every
   * guarantee of a request; `commit()` saves it and gives the headers a response would carry.
   */
  openSession(from?: OpenSessionFrom): Promise<OpenedSession<S>>
}

const FETCH_OPTIONS = {
  clientIp: (value: unknown) => {
    if (typeof value === 'function') return
    throw configError(
      `clientIp is a function of the request returning the client's IP address, e.g. (request) => request.headers.get('x-real-ip') ?? undefined, got ${shown(value)}; omit it for the connection's peer address.`
    )
  },
}

/**
 * Sessions for plain fetch handlers. Configuration mistakes throw here, once.
 * @example
 * const sessions = fetchSessions(counterSession, { secret: process.env.SESSION_SECRET! })
 * Bun.serve({
 *   fetch: sessions.handle(async (request, session) => {
 *     const n = await session.get('counter')
 *     await session.set('counter', n + 1)
 *     return new Response(`Current count: ${n}`)
 *   }),
 * })
 */
export function fetchSessions<S extends SessionSchema>(
  definitionOrSchema: SessionDefinition<S> | S,
  options: FetchSessionsOptions
): FetchSessions<S> {
  checkSessionOptions(options, 'fetchSessions', FETCH_OPTIONS)
  const core = new SessionCore(definitionOrSchema, options)
  const clientIp =
    options.clientIp ?? ((request: Request, env: unknown) => peerAddress(env, request))
  const transport = core.transport

  const open = (request: Request, env?: unknown): RequestSession<S> => {
    const headers = request.headers
    const token = transport.header
      ? tokenOf(headers.get(transport.requestName), transport)
      : undefined
    let client: ClientInfo | undefined
    const clientOf = () =>
      (client ??= Object.freeze({
        userAgent: headers.get('user-agent') ?? undefined,
        ip: clientIp(request, env),
      }))
    return core.open(headers.get('cookie'), token, clientOf)
  }

  const respond = async (request: RequestSession<S>, response: Response): Promise<Response> => {
    try {
      if (core.needsFinish(request)) await core.finish(request, response.status)
    } finally {
      request.engine.close()
    }
    try {
      applySessionHeaders(response.headers, request)
      return response
    } catch {
      // Immutable headers (`Response.redirect()`, a proxied `fetch()`): a mutable copy.
      const copy = new Response(response.body, response)
      applySessionHeaders(copy.headers, request)
      return copy
    }
  }

  return {
    handle<A extends unknown[]>(handler: SessionHandler<S, A>) {
      return async (request: Request, ...rest: A) => {
        const session = open(request, rest[0])
        let response: Response
        try {
          response = await handler(request, session.session, ...rest)
        } catch (error) {
          // Nothing is saved for a request that failed; later changes throw.
          session.engine.close()
          throw error
        }
        return respond(session, response)
      }
    },
    open(request, env) {
      const session = open(request, env)
      return { session: session.session, respond: (response) => respond(session, response) }
    },
    openSession: (from) => core.openSession(from),
  }
}

export type { OpenedSession, OpenSessionFrom } from './opened-session.js'
export type { HeaderTransportOptions, SessionOptions, SessionTransport } from './options.js'

import type { SessionSchema } from '../schema/define-session.js'
import type { TypedSession } from '../schema/typed-session.js'
import type { RequestSession } from './request-session.js'
import type { SessionCore } from './session-core.js'

/** Where `openSession` finds the session: a `Cookie` header, or a token (as the header transport sends it). */
export interface OpenSessionFrom {
  /** A `Cookie` request header, as received (e.g. by a WebSocket upgrade). */
  cookie?: string | null | undefined
  /** The bare token (no scheme), tried before the cookie. */
  token?: string | null | undefined
}

/**
 * A session opened outside the middleware (`openSession`): loaded, typed and checked as in a
 * request, saved only when `commit()` is called. The id (or token) is verified, the data
 * validated, the save a compare-and-set, and a logout wins over it: a session flushed meanwhile
 * is not brought back, and `commit()` gives the removal headers instead.
 * @example
 * const opened = await sessions.openSession({ cookie: request.headers.get('cookie') })
 * await opened.session.update('messages', (n) => n + 1)
 * const headers = await opened.commit() // Set-Cookie (or the token header), if any
 */
export class OpenedSession<S extends SessionSchema = SessionSchema> {
  readonly #core: SessionCore<S>
  readonly #request: RequestSession<S>

  /** @internal Made by `openSession`. */
  constructor(core: SessionCore<S>, request: RequestSession<S>) {
    this.#core = core
    this.#request = request
  }

  /** The typed session: read and change it as in a handler. */
  get session(): TypedSession<S> {
    return this.#request.session
  }

  /**
   * The record key of the session (what events name it by), or undefined when the cookie or
   * token named no live session. It changes with `cycleId`.
   */
  get recordKey(): string | undefined {
    return this.#request.engine.recordKey
  }

  /**
   * Saves the session as the middleware would after a handler (only when it changed) and
   * returns the headers a response would carry: `Set-Cookie` and/or the token header, or their
   * removal after a logout. Further changes to the session throw `RESPONSE_STARTED`.
   * @throws SessionError `STORE_UNAVAILABLE`, `CONFLICT`, as a request's save would
   */
  async commit(): Promise<Headers> {
    const request = this.#request
    try {
      if (this.#core.needsFinish(request)) await this.#core.finish(request, 200)
    } finally {
      request.engine.close()
    }
    return request.toHeaders()
  }
}

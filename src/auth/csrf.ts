import type { Context, MiddlewareHandler } from 'hono'
import { fromBase64url, toBase64url } from '../core/base64url.js'
import { constantTimeEqual } from '../cookie/constant-time.js'
import { SessionError } from '../core/errors.js'
import type { SessionDefinition, SessionSchema } from '../schema/define-session.js'
import type { SessionKey, SessionValue } from '../schema/session-types.js'
import type { TypedSession } from '../schema/typed-session.js'
import { DEFAULT_CONTEXT_KEY, checkDefinition, sessionOf } from './context.js'
import type { CSRF_SECRET } from './csrf-secret.js'
import { SECRET_BYTES, csrfKeyOf, drawSecret, secretBytes } from './csrf-secret.js'
import { answerRefusal, checkFailureHandler, type FailureHandler, type Refusal } from './failure.js'
import { readFormToken } from './form-token.js'

/**
 * The keys of a session schema that can keep the CSRF secret: those declared with
 * `csrfSecret()` (recommended: the CLI then redacts it from the schema alone), and keys whose
 * value is a string (`z.string().optional()`).
 */
export type CsrfKey<S extends SessionSchema> = {
  [K in SessionKey<S>]: S['_zod']['def']['shape'][K] extends { readonly [CSRF_SECRET]: true }
    ? K
    : string extends NonNullable<SessionValue<S, K>>
      ? K
      : never
}[SessionKey<S>]

/** The compile error of `createCsrf` for a schema with no key for the secret: the fix, in one line. */
export type NoCsrfKeyError =
  "createCsrf: the session schema has no key for the CSRF secret; declare one, e.g. csrf: csrfSecret() (from 'typed-sessions/auth'), and pass key: 'csrf' or omit it"

/**
 * What `key` of `createCsrf` accepts: the schema's `CsrfKey`s, or, when it has none, the
 * sentence of `NoCsrfKeyError`, so the error says what to declare (not "… to type 'never'").
 */
export type CsrfKeyArgument<S extends SessionSchema> = [CsrfKey<S>] extends [never]
  ? NoCsrfKeyError
  : CsrfKey<S>

/** The keys of a session schema declared with `csrfSecret()`: those `key` may be left out for. */
type SecretKey<S extends SessionSchema> = {
  [K in SessionKey<S>]: S['_zod']['def']['shape'][K] extends { readonly [CSRF_SECRET]: true }
    ? K
    : never
}[SessionKey<S>]

/** The options of `createCsrf` other than `key`. */
interface CsrfBaseOptions<S extends SessionSchema> {
  /** The session definition the app's `sessionMiddleware` uses. */
  definition: SessionDefinition<S>
  /** The form field a form post carries the token in. @default '_csrf' */
  field?: string
  /** The request header a `fetch()` carries the token in. @default 'x-csrf-token' */
  header?: string
  /** The `c.var` key the session middleware uses. @default 'session' */
  contextKey?: string
}

/**
 * Options of `createCsrf`. `key` may be left out only when the schema declares a key with
 * `csrfSecret()`; otherwise leaving it out does not compile, and the error names the key to pass
 * (or, with none, `NoCsrfKeyError`), instead of failing with `CONFIG` at start-up.
 */
export type CsrfOptions<
  S extends SessionSchema,
  K extends CsrfKeyArgument<S>,
> = CsrfBaseOptions<S> &
  ([SecretKey<S>] extends [never]
    ? {
        /** The session key that keeps the secret: declare it as `csrfSecret()`, or pass it here. */
        key: K
      }
    : {
        /**
         * The session key that keeps the secret, declared as `csrfSecret()` (or a plain
         * `z.string().optional()`).
         * @default the one key of the schema declared with `csrfSecret()`
         */
        key?: K
      })

/** What `createCsrf` returns. */
export interface Csrf<S extends SessionSchema> {
  /** The form field name to put the token in (`<input type="hidden" name=...>`). */
  readonly field: string
  /** The header name for scripts. */
  readonly header: string
  /**
   * A token for a form or a script: a new masking of the session's secret each call (so a
   * compressed page never repeats it: BREACH). A session without a secret gets one, and is saved
   * at once (with what the handler changed so far): two pages rendered at the same time then
   * share one secret, and every token handed out stays valid until login or logout.
   */
  token(session: TypedSession<S>): Promise<string>
  /** True when `token` was issued for this session (constant-time). */
  verify(session: TypedSession<S>, token: unknown): Promise<boolean>
  /**
   * Hono middleware: a request with an unsafe method (anything but GET, HEAD, OPTIONS, TRACE)
   * needs a valid token in the header or, for a form post, the form field; else 403. The header
   * is read first; a form body only without it, and only up to `maxFormBytes`.
   * @example app.use(csrf.protect({ onFailure: (c, failure) => c.html(errorPage(failure), failure.status) }))
   */
  protect(options?: ProtectOptions): MiddlewareHandler
}

/** Why `csrf.protect()` refused a request, with the status and message of its default answer. */
export type CsrfFailure =
  Refusal<'missing-token' | 'invalid-token', 403> | Refusal<'form-too-large', 413>

/** Options of `csrf.protect()`. */
export interface ProtectOptions {
  /**
   * The most bytes of a form body read to find the token field. A larger form without the token
   * in the header is refused with 413, unread; an upload sends the token in the header instead.
   * @default 1048576 (1 MiB)
   */
  maxFormBytes?: number
  /**
   * The app's answer to a refused request (an error page, a logged event).
   * @default the failure's status and message as text, or as JSON `{ error, message }` when the
   * request's `Accept` prefers JSON
   */
  onFailure?: FailureHandler<CsrfFailure>
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])
const DEFAULT_MAX_FORM_BYTES = 1024 * 1024
const EXPIRED = 'The form has expired or did not come from this site; reload it and try again.'

const isSecret = (value: unknown): boolean => secretBytes(value) !== undefined

/**
 * Session-bound CSRF tokens for form posts (the synchronizer-token pattern, as Django's): the
 * session keeps a random secret; each page gets a masked copy; unsafe requests must return one.
 * @example
 * const appSession = defineSession(z.object({ csrf: csrfSecret() }))
 * const csrf = createCsrf({ definition: appSession })
 * app.use(csrf.protect())
 * app.get('/form', async (c) => c.html(`<input type="hidden" name="${csrf.field}"
 *   value="${await csrf.token(c.var.session)}">`))
 */
export function createCsrf<S extends SessionSchema, K extends CsrfKeyArgument<S>>(
  options: CsrfOptions<S, K>
): Csrf<S> {
  if (typeof options !== 'object' || options === null) {
    throw new SessionError('CONFIG', "createCsrf(options) needs { definition, key: 'csrf' }.")
  }
  const { definition, field = '_csrf', header = 'x-csrf-token' } = options
  checkDefinition(definition, 'createCsrf')
  const key = csrfKeyOf(definition, options.key) as CsrfKey<S>
  for (const [name, value] of [
    ['field', field],
    ['header', header],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      throw new SessionError(
        'CONFIG',
        `createCsrf \`${name}\` is a non-empty string; omit it for the default.`
      )
    }
  }
  const contextKey = options.contextKey ?? DEFAULT_CONTEXT_KEY

  /** The stored secret's bytes, or undefined when there is none (or it is not ours). */
  const secretOf = async (session: TypedSession<S>): Promise<Uint8Array | undefined> =>
    secretBytes(await session.get(key))

  const csrf: Csrf<S> = {
    field,
    header,
    async token(session) {
      let secret = await secretOf(session)
      if (secret === undefined) {
        const drawn = drawSecret()
        // Create-if-absent, replayed on a conflict: a page rendered at the same time may have
        // stored its own secret first, and that one is kept.
        await session.update(key, ((current: unknown) =>
          isSecret(current) ? current : drawn) as never)
        // The token leaves the server before the middleware would save: save now, so that it
        // is made from the secret the store kept, not from one a racing save overwrites.
        await session.save()
        // Undefined only when a concurrent logout or login ended this session meanwhile: its
        // pages' tokens are void anyway, so this one is made from a secret nobody keeps.
        secret = (await secretOf(session)) ?? fromBase64url(drawn)!
      }
      // token = mask || (secret XOR mask): the same secret, different bytes on every page.
      const token = new Uint8Array(SECRET_BYTES * 2)
      crypto.getRandomValues(token.subarray(0, SECRET_BYTES))
      for (let i = 0; i < SECRET_BYTES; i++) token[SECRET_BYTES + i] = secret[i]! ^ token[i]!
      return toBase64url(token)
    },
    async verify(session, token) {
      if (typeof token !== 'string' || token.length > 100) return false
      const bytes = fromBase64url(token)
      if (bytes?.length !== SECRET_BYTES * 2) return false
      const secret = await secretOf(session)
      if (secret === undefined) return false
      const unmasked = new Uint8Array(SECRET_BYTES)
      for (let i = 0; i < SECRET_BYTES; i++) unmasked[i] = bytes[i]! ^ bytes[SECRET_BYTES + i]!
      return constantTimeEqual(unmasked, secret)
    },
    protect(protectOptions = {}) {
      const { maxFormBytes = DEFAULT_MAX_FORM_BYTES, onFailure } = protectOptions
      if (!(Number.isSafeInteger(maxFormBytes) && maxFormBytes >= 0)) {
        throw new SessionError(
          'CONFIG',
          `protect({ maxFormBytes }) is a whole number of bytes, got ${String(maxFormBytes)}; omit it for 1 MiB.`
        )
      }
      checkFailureHandler(onFailure, 'protect()')
      const refuse = (c: Context, failure: CsrfFailure) =>
        onFailure === undefined ? answerRefusal(c, failure) : onFailure(c, failure)

      return async function csrfProtection(c, next) {
        if (SAFE_METHODS.has(c.req.method)) return next()
        let token: unknown = c.req.header(header)
        if (token === undefined) {
          const form = await readFormToken(c, field, maxFormBytes)
          if (form.kind === 'too-large') {
            return refuse(c, {
              reason: 'form-too-large',
              status: 413,
              message: `The form is larger than this site reads to find its CSRF token (${maxFormBytes} bytes); send the token in the ${header} header instead.`,
            })
          }
          if (form.kind === 'form') token = form.token
        }
        const session = sessionOf<S>(c, contextKey, 'csrf.protect()')
        if (!(await csrf.verify(session, token))) {
          const reason = token === undefined || token === '' ? 'missing-token' : 'invalid-token'
          return refuse(c, { reason, status: 403, message: EXPIRED })
        }
        await next()
      }
    },
  }
  return csrf
}

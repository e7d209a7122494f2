import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { SessionError } from '../core/errors.js'
import { localPath } from './safe-redirect.js'

/** A refusal of the auth helpers: why, the status it answers with, and a sentence for people. */
export interface Refusal<Reason extends string, Status extends ContentfulStatusCode> {
  /** Why the request was refused, for code (logs, an error page per case). */
  readonly reason: Reason
  /** The status of the default answer. */
  readonly status: Status
  /** What the default answer says, for people. */
  readonly message: string
}

/** An app's own answer to a refused request, e.g. a rendered error page. */
export type FailureHandler<F> = (c: Context, failure: F) => Response | Promise<Response>

/** Throws `CONFIG` unless `handler` is a function or undefined. */
export function checkFailureHandler(handler: unknown, helper: string): void {
  if (handler !== undefined && typeof handler !== 'function') {
    throw new SessionError(
      'CONFIG',
      `${helper} \`onFailure\` is a function (c, failure) => Response; got ${typeof handler}. Omit it for the default answer.`
    )
  }
}

/**
 * The default answer to a refusal: `{ error: reason, message }` as JSON when the request's
 * `Accept` prefers JSON to text and HTML (a `fetch` from a script), else the message as text.
 */
export function answerRefusal(c: Context, refusal: Refusal<string, ContentfulStatusCode>) {
  const { reason, status, message } = refusal
  return prefersJson(c.req.header('accept'))
    ? c.json({ error: reason, message }, status)
    : c.text(message, status)
}

/** How a guard may answer its refusals: a redirect for browsers, or the app's own answer. */
export interface GuardAnswerOptions<F> {
  redirectTo?: string | undefined
  onFailure?: FailureHandler<F> | undefined
}

/**
 * How a guard (`requireUser`, `requireFresh`) answers a refusal: with `onFailure`, else with a
 * 302 to `redirectTo?next=<the page asked for>` for the refusals `redirects` picks (unless the
 * request prefers JSON), else with `answerRefusal`. Checks the options now: a `redirectTo` that
 * is not a path on this site (`example` shows one), or both options, is `CONFIG`.
 */
export function guardAnswer<F extends Refusal<string, ContentfulStatusCode>>(
  helper: string,
  example: string,
  options: GuardAnswerOptions<F>,
  redirects: (failure: F) => boolean
): (c: Context, failure: F) => Response | Promise<Response> {
  const { onFailure } = options
  const redirectTo = options.redirectTo === undefined ? undefined : localPath(options.redirectTo)
  if (options.redirectTo !== undefined && redirectTo === undefined) {
    throw new SessionError(
      'CONFIG',
      `${helper}({ redirectTo }) takes a path on this site such as '${example}'; got ${String(options.redirectTo)}.`
    )
  }
  checkFailureHandler(onFailure, `${helper}()`)
  if (onFailure !== undefined && redirectTo !== undefined) {
    throw new SessionError(
      'CONFIG',
      `${helper}() takes redirectTo or onFailure, not both: onFailure answers every refusal (return c.redirect(...) from it to redirect).`
    )
  }
  return (c, failure) => {
    if (onFailure !== undefined) return onFailure(c, failure)
    if (redirectTo !== undefined && redirects(failure) && !prefersJson(c.req.header('accept'))) {
      return c.redirect(loginUrl(redirectTo, c.req.url))
    }
    return answerRefusal(c, failure)
  }
}

/** `redirectTo` with the page asked for as `next`, to come back to after the login. */
function loginUrl(redirectTo: string, requested: string): string {
  const url = new URL(requested)
  const separator = redirectTo.includes('?') ? '&' : '?'
  return `${redirectTo}${separator}next=${encodeURIComponent(url.pathname + url.search)}`
}

/** The most media ranges of an `Accept` header looked at: the rest cannot change much. */
const MAX_RANGES = 32

/** How a media range matches a type: its quality, specificity (2 exact, 1 `type/*`, 0 any), order. */
interface Match {
  quality: number
  specificity: number
  position: number
}

const NONE: Match = { quality: 0, specificity: -1, position: Infinity }

/** The match that decides: the more specific range (RFC 9110 §12.5.1), else the one listed first. */
const decides = (a: Match, b: Match) =>
  a.specificity > b.specificity || (a.specificity === b.specificity && a.position < b.position)

/** The better offer for the client: higher quality, else the more specific or earlier range. */
const preferred = (a: Match, b: Match) =>
  a.quality > b.quality || (a.quality === b.quality && decides(a, b))

/**
 * True when an `Accept` header ranks JSON above text and HTML: `application/json` (ky) is JSON,
 * and so is axios's `application/json, text/plain` followed by the any-type range; a browser's
 * `text/html,…` with the any-type range at q=0.8, the any-type range alone, and no header are not.
 */
export function prefersJson(accept: string | undefined): boolean {
  if (accept === undefined) return false
  let json = NONE
  let html = NONE
  let plain = NONE
  const ranges = accept.split(',', MAX_RANGES)
  for (let position = 0; position < ranges.length; position++) {
    const [range = '', ...parameters] = ranges[position]!.split(';')
    const type = range.trim().toLowerCase()
    let quality = 1
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=')
      if (name?.trim().toLowerCase() === 'q') quality = Number(value)
    }
    if (!(quality >= 0 && quality <= 1)) continue
    const match = (specificity: number): Match => ({ quality, specificity, position })
    const offer = (current: Match, specificity: number) =>
      decides(match(specificity), current) ? match(specificity) : current
    if (type === '*/*') {
      json = offer(json, 0)
      html = offer(html, 0)
      plain = offer(plain, 0)
    } else if (type === 'application/*') json = offer(json, 1)
    else if (type === 'text/*') {
      html = offer(html, 1)
      plain = offer(plain, 1)
    } else if (/^application\/([\w.-]+\+)?json$/.test(type)) json = offer(json, 2)
    else if (type === 'text/html') html = offer(html, 2)
    else if (type === 'text/plain') plain = offer(plain, 2)
  }
  const text = preferred(plain, html) ? plain : html
  return json.quality > 0 && preferred(json, text)
}

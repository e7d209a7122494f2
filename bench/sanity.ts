import type { LoadRequest } from './measure.js'
import type { Variant } from './variants.js'

const COUNT = /^Current count: (\d+)$/

/**
 * Checks a variant before loading it: 200 with the expected body; for a returning visitor, that
 * the cookie from a priming request is really used (the count goes up) and, on a counter, that
 * the response sets a cookie; on a route that never touches the session, that it sets none.
 * Then primes `visitors` sessions, one per load connection: returning visitors are different
 * people, so concurrent requests never share a session (as they would replaying one cookie).
 * Returns what the load requests carry; throws with a sentence on the first failed check.
 */
export async function checkVariant(
  variant: Variant,
  baseUrl: string,
  visitors: number
): Promise<LoadRequest> {
  const first = await get(baseUrl, undefined)
  expect(first.count === 0, `a first request answers "Current count: 0", got "${first.body}"`)
  if (variant.counter) expect(first.cookie !== undefined, 'a first counter request sets a cookie')
  if (variant.visitor === 'none') return { cookies: [] }

  // The untouched route sets no cookie: prime it on the counter of the same middleware instead.
  const cookie = first.cookie ?? (await primeCookie(variant, baseUrl))
  const second = await get(baseUrl, cookie)
  if (!variant.counter) {
    expect(
      second.count === 0,
      `a route that does not count answers "Current count: 0", got "${second.body}"`
    )
    expect(second.cookie === undefined, 'a route that changes nothing sets no cookie')
  } else {
    expect(second.count === 1, `the primed cookie is used: count 1 expected, got "${second.body}"`)
    expect(second.cookie !== undefined, 'a returning counter request sets a cookie')
    // A server-side session counts on with the same cookie; a cookie-held one needs the new one.
    const third = await get(baseUrl, variant.stateful ? cookie : (second.cookie ?? cookie))
    expect(
      third.count === 2,
      `the count increases across requests: 2 expected, got "${third.body}"`
    )
  }
  const cookies = [cookie]
  while (cookies.length < visitors) {
    cookies.push(
      variant.counter
        ? await firstVisitCookie(variant, baseUrl)
        : await primeCookie(variant, baseUrl)
    )
  }
  expect(new Set(cookies).size === cookies.length, 'each primed visitor gets its own cookie')
  return { cookies }
}

async function firstVisitCookie(variant: Variant, baseUrl: string): Promise<string> {
  const visit = await get(baseUrl, undefined)
  expect(visit.cookie !== undefined, `"${variant.name}" sets a cookie on a first visit`)
  return visit.cookie ?? ''
}

async function primeCookie(variant: Variant, baseUrl: string): Promise<string> {
  const primed = await get(`${baseUrl}prime`, undefined)
  expect(primed.cookie !== undefined, `"${variant.name}" has a /prime route that sets a cookie`)
  return primed.cookie ?? ''
}

interface Reply {
  body: string
  count: number | undefined
  /** The `name=value` pairs of the Set-Cookie headers, as a Cookie header sends them back. */
  cookie: string | undefined
}

async function get(url: string, cookie: string | undefined): Promise<Reply> {
  const response = await fetch(url, cookie === undefined ? {} : { headers: { cookie } })
  const body = await response.text()
  expect(response.status === 200, `GET ${url} answers 200, got ${response.status}: ${body}`)
  // By name, the last one wins, as in a browser (hono-sessions sets its cookie twice on creation).
  const jar = new Map<string, string>()
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';')[0] ?? ''
    jar.set(pair.split('=')[0] ?? '', pair)
  }
  const pairs = [...jar.values()]
  const match = COUNT.exec(body)
  return {
    body,
    count: match?.[1] === undefined ? undefined : Number(match[1]),
    cookie: pairs.length === 0 ? undefined : pairs.join('; '),
  }
}

function expect(condition: boolean, check: string): asserts condition {
  if (!condition) throw new Error(`sanity check failed: ${check}`)
}

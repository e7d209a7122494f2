import type { LoadRequest } from './measure.js'
import type { BenchCase } from './variants.js'

const COUNT = /^Current count: (\d+)$/

/**
 * Checks a variant before loading it, then returns what the load requests carry. Every route
 * answers 200 "Current count: N". A new visitor's request sets a cookie (on a counter); a
 * returning visitor's cookie is really used (the count goes up); a route that does not count
 * sets no cookie. Returning visitors are different people: one session is primed per load
 * connection, so concurrent requests never share a session. Throws on the first failed check.
 */
export async function checkCase(
  { variant, visitor }: BenchCase,
  origin: string,
  visitors: number
): Promise<LoadRequest> {
  const url = `${origin}${variant.path}`
  const first = await get(url, undefined)
  expect(first.count === 0, `a first request answers "Current count: 0", got "${first.body}"`)
  if (visitor === 'anonymous') return { path: variant.path, cookies: [] }
  if (visitor === 'new') {
    expect(first.cookie !== undefined, 'a new visitor of a counter gets a cookie')
    const again = await get(url, undefined)
    expect(again.count === 0, `a request without a cookie starts at 0, got "${again.body}"`)
    return { path: variant.path, cookies: [] }
  }
  const prime = async () => {
    const reply = await get(variant.counter ? url : `${origin}/prime`, undefined)
    expect(reply.cookie !== undefined, `"${variant.name}" sets a cookie on a first visit`)
    return reply.cookie
  }
  const cookie = await prime()
  const second = await get(url, cookie)
  if (!variant.counter) {
    expect(second.count === 0, `a route that does not count answers 0, got "${second.body}"`)
    expect(second.cookie === undefined, 'a route that changes nothing sets no cookie')
  } else {
    expect(second.count === 1, `the primed cookie is used: count 1 expected, got "${second.body}"`)
    expect(second.cookie !== undefined, 'a returning counter request sets a cookie')
    // A server-side session counts on with the same cookie; a cookie-held one needs the new one.
    const third = await get(url, variant.stateful ? cookie : second.cookie)
    expect(
      third.count === 2,
      `the count increases across requests: 2 expected, got "${third.body}"`
    )
  }
  const cookies = [cookie]
  while (cookies.length < visitors) cookies.push(await prime())
  expect(new Set(cookies).size === cookies.length, 'each primed visitor gets its own cookie')
  return { path: variant.path, cookies }
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

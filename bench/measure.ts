import autocannon, { type Client, type Result } from 'autocannon'
import type { CpuTime, ServerChild } from './child.js'
import type { StoreCalls } from './counting-store.js'

/** Load settings shared by every variant. */
export interface LoadSettings {
  connections: number
  pipelining: number
  /** Seconds of load before the measured window, not measured. */
  warmup: number
  /** Seconds of the measured window. */
  duration: number
  /**
   * Requests per second over all connections, or undefined for as fast as the server answers.
   * At one fixed rate below every variant's capacity, each server does the same number of
   * requests under the same conditions, so CPU per request compares the work alone.
   */
  rate: number | undefined
}

/** What the load requests carry: nothing, or one session cookie per connection. */
export interface LoadRequest {
  /** The route every request asks for. */
  path: string
  /**
   * `Cookie` headers, one per returning visitor: connection `i` sends `cookies[i % length]` on
   * every request, so no two connections share a session. Empty: no cookie.
   */
  cookies: readonly string[]
}

/** One variant's numbers over the measured window. */
export interface Measurement {
  requests: number
  requestsPerSecond: number
  p99Ms: number
  /** Server CPU time (user + system) per completed request, in microseconds. */
  cpuPerRequestUs: number
  /** Store calls per request answered in the window, when the variant's store is counted. */
  storeCallsPerRequest: StoreCalls | undefined
  non2xx: number
  /** Connection errors, timeouts included. */
  errors: number
  timeouts: number
}

/**
 * Warms the server up, then loads it for the measured window while reading its CPU time (and
 * store calls) just before and just after: the delta covers the window only, whatever the load
 * generator costs.
 */
export async function measure(
  server: ServerChild,
  settings: LoadSettings,
  load: LoadRequest
): Promise<Measurement> {
  const options = (duration: number) => ({
    url: `http://127.0.0.1:${server.port}${load.path}`,
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration,
    ...(settings.rate === undefined ? {} : { overallRate: settings.rate }),
    ...(load.cookies.length === 0 ? {} : { setupClient: cookiePerConnection(load) }),
  })
  if (settings.warmup > 0) await autocannon(options(settings.warmup))
  // Store calls first: the child answers once the requests still in flight have settled.
  const callsBefore = await server.storeCalls()
  const cpuBefore = await server.cpuTime()
  const result = await autocannon(options(settings.duration))
  const callsAfter = await server.storeCalls()
  const cpuAfter = await server.cpuTime()
  return summarize(result, totalUs(cpuAfter) - totalUs(cpuBefore), callsBefore, callsAfter)
}

/** Gives the clients of one run their cookies in turn: autocannon sets them up in order. */
function cookiePerConnection({ path, cookies }: LoadRequest): (client: Client) => void {
  let next = 0
  return (client) => {
    const cookie = cookies[next++ % cookies.length]!
    client.setRequests([{ method: 'GET', path, headers: { cookie } }])
  }
}

function summarize(
  result: Result,
  cpuUs: number,
  before: StoreCalls | null,
  after: StoreCalls | null
): Measurement {
  const requests = result.requests.total
  return {
    requests,
    requestsPerSecond: requests / result.duration,
    p99Ms: result.latency.p99,
    cpuPerRequestUs: requests > 0 ? cpuUs / requests : Number.NaN,
    storeCallsPerRequest: callsPerRequest(before, after, requests),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}

/**
 * Store calls per request of the window: the calls made in it over the requests the load
 * generator completed in it. A request in flight at either edge can shift a count by one, which
 * against tens of thousands of requests is below the precision shown.
 */
function callsPerRequest(
  from: StoreCalls | null,
  to: StoreCalls | null,
  requests: number
): StoreCalls | undefined {
  if (from === null || to === null) return undefined
  const per = (key: keyof StoreCalls) =>
    requests > 0 ? (to[key] - from[key]) / requests : Number.NaN
  return { create: per('create'), load: per('load'), save: per('save'), delete: per('delete') }
}

function totalUs(time: CpuTime): number {
  return time.user + time.system
}

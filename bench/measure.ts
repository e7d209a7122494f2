import autocannon, { type Result } from 'autocannon'
import type { CpuTime, ServerChild } from './child.js'

/** Load settings shared by every variant. */
export interface LoadSettings {
  connections: number
  pipelining: number
  /** Seconds of load before the measured window, not measured. */
  warmup: number
  /** Seconds of the measured window. */
  duration: number
}

/** One variant's numbers over the measured window. */
export interface Measurement {
  requests: number
  requestsPerSecond: number
  p99Ms: number
  /** Server CPU time (user + system) per completed request, in microseconds. */
  cpuPerRequestUs: number
  non2xx: number
  /** Connection errors, timeouts included. */
  errors: number
  timeouts: number
}

/**
 * Warms the server up, then loads it for the measured window while reading its CPU time just
 * before and just after: the delta covers the window only, whatever the load generator costs.
 */
export async function measure(
  server: ServerChild,
  settings: LoadSettings,
  headers: Record<string, string>
): Promise<Measurement> {
  const options = {
    url: `http://127.0.0.1:${server.port}/`,
    connections: settings.connections,
    pipelining: settings.pipelining,
    headers,
  }
  if (settings.warmup > 0) await autocannon({ ...options, duration: settings.warmup })
  const before = await server.cpuTime()
  const result = await autocannon({ ...options, duration: settings.duration })
  const after = await server.cpuTime()
  return summarize(result, totalUs(after) - totalUs(before))
}

function summarize(result: Result, cpuUs: number): Measurement {
  const requests = result.requests.total
  return {
    requests,
    requestsPerSecond: requests / result.duration,
    p99Ms: result.latency.p99,
    cpuPerRequestUs: requests > 0 ? cpuUs / requests : Number.NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}

function totalUs(time: CpuTime): number {
  return time.user + time.system
}
